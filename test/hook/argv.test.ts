import { describe, expect, it } from 'vitest';
import { HookUsageError, parseHookArgv } from '../../src/hook/argv.js';

describe('parseHookArgv', () => {
  it('parses an event with the default provider', () => {
    expect(parseHookArgv(['hook', 'session-start'])).toEqual({ event: 'session-start', provider: 'claude-code' });
  });

  it('reads --provider in both spellings and normalizes case', () => {
    expect(parseHookArgv(['hook', 'session-end', '--provider', 'Codex'])?.provider).toBe('codex');
    expect(parseHookArgv(['hook', 'session-end', '--provider=cursor'])?.provider).toBe('cursor');
  });

  it('keeps the --bg-daemon launch JSON verbatim', () => {
    const json = '{"provider":"claude-code","external_id":"x"}';
    expect(parseHookArgv(['hook', 'session-start', '--bg-daemon', json])?.bgDaemon).toBe(json);
    expect(parseHookArgv(['sync', 'start', '--bg-daemon', json])).toEqual({ event: 'session-start', provider: 'claude-code', bgDaemon: json });
  });

  it('maps sync stop to session-end, unless it names a session (the user command)', () => {
    expect(parseHookArgv(['sync', 'stop'])?.event).toBe('session-end');
    expect(parseHookArgv(['sync', 'stop', '--provider', 'codex'])?.event).toBe('session-end');
    expect(parseHookArgv(['sync', 'stop', 'abc123'])).toBeUndefined();
    expect(parseHookArgv(['sync', 'stop', '--provider', 'codex', 'abc123'])).toBeUndefined();
  });

  it('declines what is not a hook invocation', () => {
    expect(parseHookArgv(['hook'])).toBeUndefined();
    expect(parseHookArgv(['hook', 'nope'])).toBeUndefined();
    expect(parseHookArgv(['sync', 'status'])).toBeUndefined();
    expect(parseHookArgv(['hook', 'session-start', '--help'])).toBeUndefined();
  });

  it('rejects unknown flags and missing values', () => {
    expect(() => parseHookArgv(['hook', 'session-start', '--x'])).toThrow(HookUsageError);
    expect(() => parseHookArgv(['hook', 'session-start', '--provider'])).toThrow(/needs a value/);
  });
});
