import { HookInputError } from 'confab-cli/provider';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { codex, codexHookResponse } from '../src/index.js';
import { makeCodexHome, rolloutPath, ROOT_ID, type CodexHome } from './fixtures.js';

let home: CodexHome;
beforeEach(() => {
  home = makeCodexHome();
});

function sessionStart(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    session_id: ROOT_ID,
    transcript_path: rolloutPath(home.sessions, ROOT_ID),
    cwd: '/work/example',
    hook_event_name: 'SessionStart',
    model: 'gpt-5.5',
    permission_mode: 'default',
    source: 'startup',
    ...over,
  };
}

function parse(event: Parameters<typeof codex.parseHookInput>[0], payload: unknown, validateTranscript = true) {
  return codex.parseHookInput(event, payload, { validateTranscript });
}

function errorOf(fn: () => unknown): HookInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HookInputError);
    expect((err as Error).message).not.toContain('\n');
    return err as HookInputError;
  }
  throw new Error('expected a HookInputError');
}

describe('Codex hook payloads', () => {
  it('maps a SessionStart payload to the provider-agnostic input and keeps the payload as received', () => {
    const payload = sessionStart({ extra_future_field: { a: 1 } });
    const input = parse('session-start', payload);
    expect(input).toEqual({
      sessionId: ROOT_ID,
      transcriptPath: rolloutPath(home.sessions, ROOT_ID),
      cwd: '/work/example',
      hookEventName: 'SessionStart',
      payload,
    });
  });

  it('accepts PreToolUse and PostToolUse payloads (tool_response may be a string) without a transcript check', () => {
    const pre = parse('pre-tool-use', { session_id: ROOT_ID, transcript_path: null, cwd: '/w', hook_event_name: 'PreToolUse', turn_id: 't1', tool_name: 'Bash', tool_input: { command: 'git commit -m x' }, tool_use_id: 'call_1' }, false);
    expect(pre.transcriptPath).toBe('');
    const post = parse('post-tool-use', { session_id: ROOT_ID, cwd: '/w', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_response: 'a\nb\n' }, false);
    expect(post.sessionId).toBe(ROOT_ID);
  });

  it.each([
    ['not an object', [], /must be a JSON object/],
    ['no session_id', { cwd: '/w' }, /"session_id" is required/],
    ['session_id with a slash', { session_id: '../etc' }, /must match/],
    ['session_id not a string', { session_id: 42 }, /"session_id" must be a string/],
    ['cwd not a string', { session_id: 'abc', cwd: 7 }, /"cwd" must be a string/],
    ['source not a string', { session_id: 'abc', source: ['startup'] }, /"source" must be a string/],
    ['tool_input not an object', { session_id: 'abc', tool_name: 'Bash', tool_input: 'ls' }, /"tool_input" must be an object/],
    ['parent_pid not an integer', { session_id: 'abc', parent_pid: '12' }, /"parent_pid"/],
  ])('refuses a payload with %s', (_label, payload, message) => {
    expect(errorOf(() => parse('pre-tool-use', payload, false)).message).toMatch(message);
  });

  it('validates the rollout path of session hooks', () => {
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /"transcript_path" is required/],
      ['sessions/2026/06/21/rollout-2026-06-21T06-06-38-' + ROOT_ID + '.jsonl', /absolute/],
      [`${home.sessions}/2026/../../rollout-2026-06-21T06-06-38-${ROOT_ID}.jsonl`, /must not contain "\.\."/],
      [join(home.sessions, '2026/06/21/session.jsonl'), /must name a Codex rollout/],
      [join(tmpdir(), 'rollout-2026-06-21T06-06-38-' + ROOT_ID + '.jsonl'), /inside the Codex sessions directory/],
    ];
    for (const [path, message] of cases) {
      expect(errorOf(() => parse('session-start', sessionStart({ transcript_path: path }))).message).toMatch(message);
    }
  });

  it('follows symlinks when checking that a rollout is inside the sessions directory', () => {
    const outside = mkdtempSync(join(tmpdir(), 'confab-outside-'));
    mkdirSync(home.sessions, { recursive: true });
    symlinkSync(outside, join(home.sessions, '2026'));
    const escaped = join(home.sessions, '2026', `rollout-2026-06-21T06-06-38-${ROOT_ID}.jsonl`);
    expect(errorOf(() => parse('session-start', sessionStart({ transcript_path: escaped }))).message).toMatch(/inside the Codex sessions directory/);

    // A Codex home that is itself a symlink is fine.
    const real = makeCodexHome();
    const link = join(mkdtempSync(join(tmpdir(), 'confab-link-')), 'codex');
    symlinkSync(real.dir, link);
    process.env.CONFAB_CODEX_DIR = link;
    expect(parse('session-start', sessionStart({ transcript_path: rolloutPath(join(link, 'sessions'), ROOT_ID) })).sessionId).toBe(ROOT_ID);
  });

  it('refuses a rollout that is a dangling symlink (its target could appear later, outside) and a path with a NUL byte', () => {
    const outside = mkdtempSync(join(tmpdir(), 'confab-outside-'));
    const day = join(home.sessions, '2026', '06', '21');
    mkdirSync(day, { recursive: true });
    const name = `rollout-2026-06-21T06-06-38-${ROOT_ID}.jsonl`;
    symlinkSync(join(outside, name), join(day, name));
    expect(errorOf(() => parse('session-start', sessionStart({ transcript_path: join(day, name) }))).message).toMatch(/"transcript_path"/);
    expect(errorOf(() => parse('session-start', sessionStart({ transcript_path: `${day}/x\u0000/${name}` }))).message).toMatch(/NUL/);
  });

  it('answers in Codex hook-output shape', () => {
    expect(codexHookResponse('session-start', {})).toEqual({ continue: true });
    expect(codexHookResponse('user-prompt-submit', { suppressOutput: true })).toEqual({ continue: true, suppressOutput: true });
    expect(codexHookResponse('session-start', { systemMessage: 'hello' })).toEqual({ continue: true, systemMessage: 'hello' });
    expect(Object.keys(codexHookResponse('session-start', { suppressOutput: true, systemMessage: 'x' })).sort()).toEqual(['continue', 'suppressOutput', 'systemMessage']);
  });

  it('declares every hook event, session-end included (Codex 0.171 runs it at the end of codex exec)', () => {
    expect(codex.events).toEqual(['session-start', 'session-end', 'user-prompt-submit', 'pre-tool-use', 'post-tool-use']);
  });
});
