import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HookInputError, type HookEvent } from 'confab-cli/provider';
import claudeCode, { legacyStatePaths } from '../src/index.js';
import { parseClaudeHookPayload } from '../src/hook-payload.js';
import { tempDir } from './fixtures.js';

const SID = '3b7d2c1a-9e8f-4a6b-8c5d-1e2f3a4b5c6d';

let tmp: ReturnType<typeof tempDir>;
let home: string;
let projects: string;
const savedHome = process.env.HOME;

beforeEach(() => {
  tmp = tempDir();
  home = join(tmp.path, 'home');
  projects = join(home, '.claude', 'projects');
  mkdirSync(projects, { recursive: true });
  process.env.HOME = home;
  delete process.env.CONFAB_CLAUDE_DIR;
  delete process.env.CLAUDE_CONFIG_DIR;
});

afterEach(() => {
  process.env.HOME = savedHome;
  delete process.env.CONFAB_CLAUDE_DIR;
  delete process.env.CLAUDE_CONFIG_DIR;
  tmp.cleanup();
});

function payload(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    session_id: SID,
    transcript_path: join(projects, '-Users-dev-app', `${SID}.jsonl`),
    cwd: '/Users/dev/app',
    hook_event_name: 'SessionStart',
    permission_mode: 'default',
    source: 'startup',
    ...extra,
  };
}

function parse(event: HookEvent, value: unknown, validateTranscript = true) {
  return claudeCode.parseHookInput(event, value, { validateTranscript });
}

function errorOf(fn: () => unknown): HookInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HookInputError);
    expect((err as Error).message).not.toMatch(/\n/);
    return err as HookInputError;
  }
  throw new Error('expected a HookInputError');
}

describe('hook payload validation', () => {
  it('accepts a SessionStart whose transcript and project dir do not exist yet', () => {
    const input = payload();
    const parsed = parse('session-start', input);
    expect(parsed).toEqual({
      sessionId: SID,
      transcriptPath: input.transcript_path,
      cwd: '/Users/dev/app',
      hookEventName: 'SessionStart',
      payload: input,
    });
    // The payload is the very object received: forwarded verbatim as the session_end payload.
    expect(parsed.payload).toBe(input);
  });

  it('accepts every event shape Claude Code sends', () => {
    const transcript = payload().transcript_path as string;
    mkdirSync(join(projects, '-Users-dev-app'), { recursive: true });
    writeFileSync(transcript, '');
    expect(parse('session-end', payload({ hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' })).payload.reason).toBe('prompt_input_exit');
    expect(parse('user-prompt-submit', payload({ hook_event_name: 'UserPromptSubmit', prompt: 'fix it' }), false).sessionId).toBe(SID);
    const pre = parseClaudeHookPayload(
      'pre-tool-use',
      payload({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'git commit -m x' }, tool_use_id: 'toolu_01abc' }),
      { validateTranscript: false },
    );
    expect(pre.tool_input).toEqual({ command: 'git commit -m x' });
    const post = parseClaudeHookPayload(
      'post-tool-use',
      payload({ hook_event_name: 'PostToolUse', tool_name: 'mcp__github__create_pull_request', tool_input: {}, tool_response: { url: 'https://github.com/o/r/pull/1' } }),
      { validateTranscript: false },
    );
    expect(post.tool_response).toEqual({ url: 'https://github.com/o/r/pull/1' });
    expect(parse('session-start', payload({ parent_pid: 4242 })).parentPid).toBe(4242);
  });

  const bad: Array<[string, HookEvent, unknown, RegExp, boolean?]> = [
    ['null payload', 'session-start', null, /must be a JSON object/],
    ['array payload', 'session-start', [], /must be a JSON object/],
    ['string payload', 'session-end', 'session', /must be a JSON object/],
    ['number payload', 'user-prompt-submit', 42, /must be a JSON object/, false],
    ['missing session_id', 'session-start', { transcript_path: '/x' }, /"session_id" is missing/],
    ['numeric session_id', 'session-start', { session_id: 12 }, /"session_id" must be a string/],
    ['session_id with a slash', 'session-start', { session_id: '../etc' }, /"session_id" must match/],
    ['session_id with a space', 'user-prompt-submit', { session_id: 'a b' }, /"session_id" must match/, false],
    ['session_id too long', 'session-start', { session_id: 'a'.repeat(201) }, /longer than 200/],
    ['relative transcript', 'session-start', { session_id: SID, transcript_path: 'projects/x.jsonl' }, /absolute path/],
    ['.. in transcript', 'session-end', { session_id: SID, transcript_path: '/h/.claude/projects/a/../../../etc/passwd' }, /must not contain "\.\."/],
    ['transcript outside projects', 'session-start', { session_id: SID, transcript_path: '/tmp/x.jsonl' }, /must be inside .*projects/],
    ['missing transcript', 'session-start', { session_id: SID }, /"transcript_path" is missing/],
    ['non-string cwd', 'session-start', { session_id: SID, cwd: 7 }, /"cwd" must be a string/],
    ['non-string prompt', 'user-prompt-submit', { session_id: SID, prompt: ['x'] }, /"prompt" must be a string/, false],
    ['tool hook without tool_name', 'pre-tool-use', { session_id: SID }, /"tool_name" is missing/, false],
    ['tool_input not an object', 'post-tool-use', { session_id: SID, tool_name: 'Bash', tool_input: 'ls' }, /"tool_input" must be an object/, false],
    ['negative parent_pid', 'session-start', { session_id: SID, parent_pid: -1 }, /"parent_pid"/, false],
  ];
  it.each(bad)('rejects %s', (_name, event, value, message, validate = true) => {
    expect(errorOf(() => parse(event, value, validate)).message).toMatch(message);
  });

  it('skips the transcript check when asked to (user-prompt-submit, tool hooks)', () => {
    expect(parse('user-prompt-submit', { session_id: SID, transcript_path: 'relative/x.jsonl' }, false).transcriptPath).toBe('relative/x.jsonl');
    expect(parse('pre-tool-use', { session_id: SID, tool_name: 'Bash' }, false).transcriptPath).toBe('');
  });

  it('lets only a checked transcript start a daemon (user-prompt-submit skips the check)', async () => {
    const relaxed = parse('user-prompt-submit', { session_id: SID, transcript_path: '/etc/passwd', prompt: 'hi' }, false);
    expect(await claudeCode.shouldSpawn?.(relaxed)).toBe(false);
    expect(await claudeCode.shouldSpawn?.(parse('user-prompt-submit', payload({ prompt: 'hi' }), false))).toBe(true);
  });

  it('rejects a symlinked project dir that escapes the projects dir', () => {
    const outside = join(tmp.path, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(projects, 'evil'));
    expect(errorOf(() => parse('session-start', payload({ transcript_path: join(projects, 'evil', `${SID}.jsonl`) }))).message).toMatch(/must be inside/);
  });

  it('rejects a transcript that is a symlink to a file elsewhere', () => {
    const project = join(projects, '-Users-dev-app');
    mkdirSync(project);
    const secret = join(tmp.path, 'secret.txt');
    writeFileSync(secret, 'secret');
    symlinkSync(secret, join(project, `${SID}.jsonl`));
    expect(errorOf(() => parse('session-end', payload())).message).toMatch(/must be inside/);
  });

  it('rejects a dangling symlink (its target could appear later)', () => {
    symlinkSync(join(tmp.path, 'nowhere'), join(projects, 'dangling'));
    expect(errorOf(() => parse('session-start', payload({ transcript_path: join(projects, 'dangling', `${SID}.jsonl`) }))).message).toMatch(/cannot be resolved/);
    // The transcript itself dangling, too.
    mkdirSync(join(projects, 'p'));
    symlinkSync(join(tmp.path, 'later.jsonl'), join(projects, 'p', `${SID}.jsonl`));
    expect(errorOf(() => parse('session-start', payload({ transcript_path: join(projects, 'p', `${SID}.jsonl`) }))).message).toMatch(/cannot be resolved/);
    // A file where a directory should be.
    writeFileSync(join(projects, 'file'), '');
    expect(errorOf(() => parse('session-start', payload({ transcript_path: join(projects, 'file', `${SID}.jsonl`) }))).message).toMatch(/cannot be resolved/);
  });

  it('follows symlinks that stay inside: ~/.claude itself linked elsewhere', () => {
    const real = join(tmp.path, 'dotfiles', 'claude');
    mkdirSync(join(real, 'projects', 'p'), { recursive: true });
    const linkedHome = join(tmp.path, 'home2');
    mkdirSync(linkedHome);
    symlinkSync(real, join(linkedHome, '.claude'));
    process.env.HOME = linkedHome;
    expect(parse('session-start', payload({ transcript_path: join(linkedHome, '.claude', 'projects', 'p', `${SID}.jsonl`) })).sessionId).toBe(SID);
    // The real path is just as good.
    expect(parse('session-start', payload({ transcript_path: join(real, 'projects', 'p', `${SID}.jsonl`) })).sessionId).toBe(SID);
  });

  it('allows transcripts directly under CONFAB_CLAUDE_DIR, and only when it is set', () => {
    const direct = join(home, '.claude', `${SID}.jsonl`);
    expect(errorOf(() => parse('session-start', payload({ transcript_path: direct }))).message).toMatch(/must be inside/);
    const custom = join(tmp.path, 'custom-claude');
    mkdirSync(custom);
    process.env.CONFAB_CLAUDE_DIR = custom;
    expect(parse('session-start', payload({ transcript_path: join(custom, `${SID}.jsonl`) })).sessionId).toBe(SID);
    expect(parse('session-start', payload({ transcript_path: join(custom, 'projects', 'p', `${SID}.jsonl`) })).sessionId).toBe(SID);
    // ~/.claude no longer counts once the override is set.
    expect(errorOf(() => parse('session-start', payload())).message).toMatch(/must be inside/);
  });

  it('allows the projects dir of the config dir Claude Code runs from (CLAUDE_CONFIG_DIR), and no more of it', () => {
    const work = join(tmp.path, 'work-claude');
    mkdirSync(join(work, 'projects', 'p'), { recursive: true });
    const inWork = join(work, 'projects', 'p', `${SID}.jsonl`);
    expect(errorOf(() => parse('session-start', payload({ transcript_path: inWork }))).message).toMatch(/must be inside/);
    process.env.CLAUDE_CONFIG_DIR = work;
    expect(parse('session-start', payload({ transcript_path: inWork })).sessionId).toBe(SID);
    expect(errorOf(() => parse('session-start', payload({ transcript_path: join(work, `${SID}.jsonl`) }))).message).toMatch(/must be inside/);
    // The default dir still counts.
    expect(parse('session-start', payload()).sessionId).toBe(SID);
    expect(claudeCode.configDirs?.ofTranscript(inWork)).toBe(work);
    expect(claudeCode.configDirs?.ofTranscript(join(work, `${SID}.jsonl`))).toBeUndefined();
    expect(claudeCode.configDirs?.ofTranscript('projects/p/x.jsonl')).toBeUndefined();
  });
});

describe('hook answer and legacy paths', () => {
  it('answers in the shape Claude Code expects', () => {
    expect(claudeCode.hookResponse('session-start', {})).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    expect(claudeCode.hookResponse('user-prompt-submit', { suppressOutput: true, systemMessage: '/retro is now available' })).toEqual({
      continue: true,
      stopReason: '',
      suppressOutput: true,
      systemMessage: '/retro is now available',
    });
  });

  it('names the flat state files older installs used', () => {
    expect(claudeCode.legacyPaths).toBe(legacyStatePaths);
    expect(legacyStatePaths.statePath('/h/.confab/sync', SID)).toBe(`/h/.confab/sync/${SID}.json`);
    expect(legacyStatePaths.inboxPath('/h/.confab/sync', SID)).toBe(`/h/.confab/sync/${SID}.inbox.jsonl`);
  });
});
