import type { TrackedFileSpec } from 'confab-cli/provider';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { headOfLines, rolloutMetadata } from '../src/daemon-taps.js';
import {
  assistantMessage,
  CHILD_ID,
  childRolloutLines,
  makeCodexHome,
  rootRolloutLines,
  ROOT_ID,
  sessionMetaLine,
  turnContextLine,
  userItemCompleted,
  userMessageEvent,
  writeRollout,
  type CodexHome,
} from './fixtures.js';
import { createHarness, transcriptSpec } from './harness.js';

let home: CodexHome;
let rootPath: string;
let lines: string[];

beforeEach(() => {
  home = makeCodexHome();
  lines = rootRolloutLines('Refactor <b>the</b> parser &amp;\n add   tests');
  rootPath = writeRollout(home.sessions, ROOT_ID, lines);
});

const session = () => ({ externalId: ROOT_ID, transcriptPath: rootPath, cwd: '/work/example' });

describe('codex_rollout metadata', () => {
  it('goes on the transcript chunk that starts at line 1, with the root thread facts', async () => {
    const h = createHarness(session());
    const first = await h.chunk(transcriptSpec(rootPath), 1, lines.slice(0, 4));
    expect(first.metadata?.codex_rollout).toEqual({
      thread_uuid: ROOT_ID,
      rollout_path: rootPath,
      cwd: '/work/example',
      model: 'gpt-5.5',
      source: 'cli',
      thread_source: 'user',
    });
    const later = await h.chunk(transcriptSpec(rootPath), 5, lines.slice(4));
    expect(later.metadata?.codex_rollout).toBeUndefined();
  });

  it('goes on a sub-agent rollout’s first chunk with its parent and agent identity', async () => {
    const childLines = childRolloutLines(CHILD_ID, ROOT_ID, { nickname: 'Hubble' });
    const childPath = writeRollout(home.sessions, CHILD_ID, childLines, '2026-06-21', '06-06-42');
    const spec: TrackedFileSpec = { path: childPath, name: basename(childPath), type: 'agent' };
    const h = createHarness(session());
    const req = await h.chunk(spec, 1, childLines);
    expect(req.metadata).toEqual({
      codex_rollout: {
        thread_uuid: CHILD_ID,
        parent_thread_uuid: ROOT_ID,
        rollout_path: childPath,
        cwd: '/work/example',
        model: 'gpt-5.4-mini',
        source: 'subagent',
        thread_source: 'subagent',
        agent_role: 'explorer',
        agent_nickname: 'Hubble',
      },
    });
    // Sub-agent files never carry the session's first user message.
    expect(h.redactions).toEqual([]);
  });

  it('is a function of first_line == 1 alone: a retried (failed) first chunk carries it again', async () => {
    const h = createHarness(session());
    const spec = transcriptSpec(rootPath);
    const attempt1 = await h.chunk(spec, 1, lines);
    const attempt2 = await h.chunk(spec, 1, lines);
    expect(attempt1.metadata?.codex_rollout).toBeDefined();
    expect(attempt2.metadata?.codex_rollout).toEqual(attempt1.metadata?.codex_rollout);
    expect((await h.chunk(spec, 2, lines.slice(1))).metadata?.codex_rollout).toBeUndefined();
    // The backend lost the file and the engine starts over from line 1: it goes again.
    expect((await h.chunk(spec, 1, lines)).metadata?.codex_rollout).toEqual(attempt1.metadata?.codex_rollout);
  });

  it('keeps within the backend’s limits: source cut to 64 chars, over-long or invalid fields left out', () => {
    const meta = JSON.stringify({
      type: 'session_meta',
      payload: { id: CHILD_ID, source: 'x'.repeat(100), parent_thread_id: 'not-a-uuid', agent_role: 'r'.repeat(300), agent_nickname: 'Ada', cwd: '/w' },
    });
    const spec: TrackedFileSpec = { path: join(home.sessions, `rollout-2026-06-21T06-06-42-${CHILD_ID}.jsonl`), name: 'x', type: 'agent' };
    const out = rolloutMetadata(spec, headOfLines([meta]), ROOT_ID);
    expect(out).toEqual({ thread_uuid: CHILD_ID, rollout_path: spec.path, cwd: '/w', source: 'x'.repeat(64), agent_nickname: 'Ada' });
    // A sub-agent naming itself as parent is not sent as its own parent.
    const self = rolloutMetadata(spec, headOfLines([sessionMetaLine({ id: CHILD_ID, parent: CHILD_ID })]), ROOT_ID);
    expect(self?.parent_thread_uuid).toBeUndefined();
  });

  it('uses session_meta.model (older Codex) before turn_context, and the file name when the payload id is missing', () => {
    const spec = transcriptSpec(join(home.sessions, `rollout-2026-06-21T06-06-38-${ROOT_ID}.jsonl`));
    const old = rolloutMetadata(spec, headOfLines([sessionMetaLine({ id: ROOT_ID, model: 'o4-mini' }), turnContextLine('gpt-5.5')]), 'not-a-uuid');
    expect(old).toMatchObject({ thread_uuid: ROOT_ID, model: 'o4-mini' });
  });

  it('is not added to files that are not Codex rollouts', async () => {
    const h = createHarness(session());
    const other: TrackedFileSpec = { path: join(home.dir, 'notes.jsonl'), name: 'notes.jsonl', type: 'agent' };
    expect((await h.chunk(other, 1, ['{}'])).metadata).toBeUndefined();
  });

  it('reads session_meta from the file when the chunk does not hold it', async () => {
    const h = createHarness(session());
    const req = await h.chunk(transcriptSpec(rootPath), 1, ['{"type":"event_msg","payload":{"type":"task_started"}}']);
    expect(req.metadata?.codex_rollout).toMatchObject({ thread_uuid: ROOT_ID, source: 'cli', cwd: '/work/example' });
  });
});

describe('first_user_message', () => {
  const promptLine = 6; // 1-based: the event_msg user_message in rootRolloutLines

  it('goes once, sanitized and redacted, on the transcript chunk holding the first prompt', async () => {
    const h = createHarness(session(), (v) => v.replace('parser', '[REDACTED]'));
    const spec = transcriptSpec(rootPath);
    expect((await h.chunk(spec, 1, lines.slice(0, 3))).metadata?.first_user_message).toBeUndefined();
    const second = await h.chunk(spec, 4, lines.slice(3, 10));
    expect(second.metadata?.first_user_message).toBe('Refactor the [REDACTED] & add tests');
    expect(h.redactions).toEqual(['Refactor the parser & add tests']);
    const third = await h.chunk(spec, 11, [...lines.slice(10), userMessageEvent('a second prompt')]);
    expect(third.metadata?.first_user_message).toBeUndefined();
    expect(h.redactions).toHaveLength(1);
  });

  it('is sent again when the chunk that carried it is retried, and not after', async () => {
    const h = createHarness(session());
    const spec = transcriptSpec(rootPath);
    expect((await h.chunk(spec, 1, lines)).metadata?.first_user_message).toBe('Refactor the parser & add tests');
    expect((await h.chunk(spec, 1, lines)).metadata?.first_user_message).toBe('Refactor the parser & add tests');
    // The backend kept lines 1..4 only; the retry starts before the prompt line.
    expect((await h.chunk(spec, 5, lines.slice(4))).metadata?.first_user_message).toBe('Refactor the parser & add tests');
    expect((await h.chunk(spec, promptLine + 1, lines.slice(promptLine))).metadata?.first_user_message).toBeUndefined();
    expect((await h.chunk(spec, 20, [userItemCompleted('later')])).metadata?.first_user_message).toBeUndefined();
  });

  it('reads the newer item_completed shape and cuts long prompts to 4096 bytes on a character boundary', async () => {
    const long = 'é'.repeat(3000) + ' end';
    const modern = [sessionMetaLine({ id: ROOT_ID }), turnContextLine(), userItemCompleted(long), assistantMessage('ok')];
    const path = writeRollout(home.sessions, ROOT_ID, modern);
    const h = createHarness({ ...session(), transcriptPath: path });
    const sent = (await h.chunk(transcriptSpec(path), 1, modern)).metadata?.first_user_message as string;
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(4096);
    expect(sent.endsWith('...')).toBe(true);
    expect(sent.startsWith('éé')).toBe(true);
    expect(sent).not.toContain('\uFFFD');
  });
});

describe('init git info', () => {
  function git(cwd: string, ...args: string[]): void {
    execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
  }

  function repo(withRemote: boolean): string {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'confab-codex-repo-')));
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'config', 'user.email', 'dev@example.com');
    git(dir, 'config', 'user.name', 'Dev');
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'first commit');
    if (withRemote) {
      git(dir, 'remote', 'add', 'origin', 'https://user:s3cret@github.com/example/app.git');
      git(dir, 'config', 'branch.main.remote', 'origin');
    }
    return dir;
  }

  function sessionIn(cwd: string) {
    const path = writeRollout(home.sessions, ROOT_ID, [sessionMetaLine({ id: ROOT_ID, cwd }), turnContextLine()]);
    return { externalId: ROOT_ID, transcriptPath: path, cwd: '/somewhere/else' };
  }

  it('adds the complete git_info of the session_meta cwd when it is a repository with remotes', async () => {
    const dir = repo(true);
    writeFileSync(join(dir, 'b.txt'), 'dirty\n');
    const h = createHarness(sessionIn(dir));
    const req = await h.init(false, { metadata: { cwd: '/somewhere/else', hostname: 'h' } });
    expect(req.metadata).toEqual({
      cwd: '/somewhere/else',
      hostname: 'h',
      git_info: {
        repo_url: 'https://github.com/example/app.git',
        branch: 'main',
        commit_sha: expect.stringMatching(/^[0-9a-f]{40}$/),
        commit_message: 'first commit',
        author: 'Dev <dev@example.com>',
        is_dirty: true,
        remotes: [{ name: 'origin', fetch_url: 'https://github.com/example/app.git', push_url: 'https://github.com/example/app.git' }],
        tracking_remote: 'origin',
      },
    });
    // A refresh re-init sends no metadata of its own.
    expect((await h.init(true)).metadata).toBeUndefined();
  });

  it('leaves git_info out for a repository without remotes and for a plain directory', async () => {
    expect((await createHarness(sessionIn(repo(false))).init()).metadata).toBeUndefined();
    const plain = realpathSync(mkdtempSync(join(tmpdir(), 'confab-codex-plain-')));
    expect((await createHarness(sessionIn(plain)).init()).metadata).toBeUndefined();
  });
});
