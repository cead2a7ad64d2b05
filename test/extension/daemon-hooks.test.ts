import { AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook, SyncWaterfallHook } from 'tapable';
import { describe, expect, it } from 'vitest';
import { createDaemonHooks, createSyncHooks } from '../../src/extension/daemon-hooks.js';

describe('the daemon hook set', () => {
  it('is one frozen object with every hook, in the order they fire, each of its kind', () => {
    const hooks = createDaemonHooks();
    expect(Object.isFrozen(hooks)).toBe(true);
    expect(Object.keys(hooks)).toEqual(['refresh', 'start', 'initRequest', 'discoverFiles', 'line', 'metadata', 'chunk', 'afterSync', 'syncError', 'inboxEvent', 'shutdown']);
    expect(hooks.start.constructor).toBe(AsyncSeriesHook);
    expect(hooks.initRequest.constructor).toBe(AsyncSeriesWaterfallHook);
    expect(hooks.line.constructor).toBe(SyncWaterfallHook);
    expect(hooks.syncError.constructor).toBe(SyncHook);
    expect(hooks.refresh.constructor).toBe(AsyncSeriesHook);
    expect(() => {
      (hooks as { line: unknown }).line = undefined;
    }).toThrow(TypeError);
  });

  it('is fresh each time: taps on one set never reach another', () => {
    const a = createDaemonHooks();
    const b = createSyncHooks();
    a.line.tap('upper', (line) => line.toUpperCase());
    expect(a.line.call('x', { fileName: 'f', fileType: 'transcript', lineNumber: 1 })).toBe('X');
    expect(b.line.call('x', { fileName: 'f', fileType: 'transcript', lineNumber: 1 })).toBe('x');
  });
});
