import { SyncWaterfallHook } from 'tapable';
import { describe, expect, it } from 'vitest';
import type { DaemonHooks } from '../../src/extension/daemon-hooks.js';
import type { LineContext, MetadataContext } from '../../src/extension/hook-types.js';
import { applyRedaction, createRedactor, REDACTION_TAP, type Redactor } from '../../src/redact/index.js';

const KEY = 'AKIAIOSFODNN7EXAMPLE';
const ctx: LineContext = { fileName: 'session.jsonl', fileType: 'transcript', lineNumber: 1 };

function makeHooks(): Pick<DaemonHooks, 'line' | 'metadata'> {
  return {
    line: new SyncWaterfallHook<[string, LineContext]>(['line', 'context']),
    metadata: new SyncWaterfallHook<[string, MetadataContext]>(['value', 'context']),
  };
}

describe('applyRedaction', () => {
  it('taps the line and metadata hooks as confab:redaction', () => {
    const hooks = makeHooks();
    applyRedaction(hooks, createRedactor({}) as Redactor);
    expect(REDACTION_TAP).toBe('confab:redaction');
    expect(hooks.line.taps.map((t) => t.name)).toEqual(['confab:redaction']);
    expect(hooks.metadata.taps.map((t) => t.name)).toEqual(['confab:redaction']);
    expect(hooks.line.call(`{"a":"${KEY}"}`, ctx)).toBe('{"a":"[REDACTED:AWS_KEY]"}');
    expect(hooks.metadata.call(`first message mentions ${KEY}`, { field: 'first_user_message' })).toBe('first message mentions [REDACTED:AWS_KEY]');
    // Metadata is free text: value patterns only, no field rules from a JSON walk.
    expect(hooks.metadata.call('{"credentials":["plain"]}', { field: 'summary' })).toBe('{"credentials":["plain"]}');
    expect(hooks.line.call('{"credentials":["plain"]}', ctx)).toBe('{"credentials":["[REDACTED:SENSITIVE_FIELD]"]}');
  });

  it('lets user taps run before or after it, by name or by stage', () => {
    const hooks = makeHooks();
    const seen: Record<string, string> = {};
    hooks.line.tap('registered-first', (line) => ((seen.first = line), line));
    applyRedaction(hooks, createRedactor({}) as Redactor);
    hooks.line.tap({ name: 'before-redaction', before: REDACTION_TAP }, (line) => ((seen.before = line), line.replace('drop-me', '')));
    hooks.line.tap('after-redaction', (line) => ((seen.after = line), line));
    hooks.line.tap({ name: 'late-stage', stage: 100 }, (line) => ((seen.late = line), `${line}`));
    hooks.line.tap({ name: 'early-stage', stage: -100 }, (line) => ((seen.early = line), line));

    const out = hooks.line.call(`{"a":"drop-me ${KEY}"}`, ctx);
    expect(out).toBe('{"a":" [REDACTED:AWS_KEY]"}');
    expect(seen.early).toContain(KEY);
    expect(seen.before).toContain(KEY);
    expect(seen.after).toBe('{"a":" [REDACTED:AWS_KEY]"}');
    expect(seen.late).toBe('{"a":" [REDACTED:AWS_KEY]"}');
    expect(hooks.line.taps.map((t) => t.name)).toEqual(['early-stage', 'registered-first', 'before-redaction', 'confab:redaction', 'after-redaction', 'late-stage']);
  });

  it('sees what an earlier tap changed: a tap that adds a secret still gets it redacted', () => {
    const hooks = makeHooks();
    hooks.line.tap('annotate', (line) => line.replace('}', `,"note":"${KEY}"}`));
    applyRedaction(hooks, createRedactor({}) as Redactor);
    expect(hooks.line.call('{"a":1}', ctx)).toBe('{"a":1,"note":"[REDACTED:AWS_KEY]"}');
  });
});
