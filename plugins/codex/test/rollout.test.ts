import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forEachHeadLine, readSessionMeta, readSessionMetaSoon } from '../src/rollout-files.js';
import {
  firstUserMessage,
  flattenSource,
  isUserSession,
  sessionMetaOfLine,
  threadIdOfRolloutName,
  turnContextModelOfLine,
  userMessageOfLine,
} from '../src/rollout.js';
import { CHILD_ID, childRolloutLines, makeCodexHome, rolloutPath, rootRolloutLines, ROOT_ID, sessionMetaLine, userItemCompleted, userMessageEvent, writeRollout } from './fixtures.js';

describe('rollout lines', () => {
  it('reads a root session_meta', () => {
    const meta = sessionMetaOfLine(sessionMetaLine({ id: ROOT_ID, cwd: '/work/app' }));
    expect(meta).toEqual({ id: ROOT_ID, cwd: '/work/app', source: 'cli', threadSource: 'user' });
    expect(isUserSession(meta!)).toBe(true);
  });

  it('reads a sub-agent session_meta: parent, flattened source, agent identity', () => {
    const meta = sessionMetaOfLine(sessionMetaLine({ id: CHILD_ID, parent: ROOT_ID, nickname: 'Nash', role: 'worker', model: 'gpt-5.4-mini' }));
    expect(meta).toEqual({
      id: CHILD_ID,
      cwd: '/work/example',
      model: 'gpt-5.4-mini',
      source: 'subagent',
      threadSource: 'subagent',
      parentThreadId: ROOT_ID,
      agentRole: 'worker',
      agentNickname: 'Nash',
    });
    expect(isUserSession(meta!)).toBe(false);
  });

  it('finds the parent inside source.subagent.thread_spawn when there is no top-level parent_thread_id', () => {
    const raw = JSON.stringify({
      type: 'session_meta',
      payload: { id: CHILD_ID, source: { subagent: { thread_spawn: { parent_thread_id: ROOT_ID, depth: 1, agent_path: '/root/review', agent_nickname: 'Dalton', agent_role: 'reviewer' } } } },
    });
    expect(sessionMetaOfLine(raw)).toMatchObject({ parentThreadId: ROOT_ID, agentPath: '/root/review', agentNickname: 'Dalton', agentRole: 'reviewer', source: 'subagent' });
  });

  it.each([
    ['cli', 'cli'],
    ['exec', 'exec'],
    [{ subagent: 'review' }, 'subagent'],
    [{ subagent: { thread_spawn: { parent_thread_id: ROOT_ID, depth: 2 } } }, 'subagent'],
    ['', undefined],
    [42, undefined],
    [null, undefined],
  ])('flattens source %j to %j', (raw, flat) => {
    expect(flattenSource(raw)).toBe(flat);
  });

  it('tells user sessions from review and memory threads', () => {
    expect(isUserSession({ source: 'exec' })).toBe(true);
    expect(isUserSession({ source: 'vscode', threadSource: 'user' })).toBe(true);
    expect(isUserSession({ source: 'subagent' })).toBe(false);
    expect(isUserSession({ source: 'cli', threadSource: 'subagent' })).toBe(false);
    expect(isUserSession({ source: 'cli', agentRole: 'default' })).toBe(false);
  });

  it('reads the prompt from both event_msg shapes and never from injected response_items', () => {
    expect(userMessageOfLine(userMessageEvent('  fix the bug  '))).toBe('fix the bug');
    expect(userMessageOfLine(userItemCompleted('add a readme'))).toBe('add a readme');
    expect(userMessageOfLine(userMessageEvent('   '))).toBeUndefined();
    const lines = rootRolloutLines('the real prompt');
    expect(firstUserMessage(lines)).toEqual({ index: 5, text: 'the real prompt' });
    // The <environment_context> user response_item before it does not count.
    expect(lines[2]).toContain('environment_context');
  });

  it('reads the model of a turn_context and skips unknown line types', () => {
    const lines = rootRolloutLines();
    expect(lines.map(turnContextModelOfLine).filter(Boolean)).toEqual(['gpt-5.5']);
    const unknown = lines.find((l) => l.includes('ghost_snapshot_v2')) as string;
    expect(sessionMetaOfLine(unknown)).toBeUndefined();
    expect(userMessageOfLine(unknown)).toBeUndefined();
    expect(sessionMetaOfLine('{not json')).toBeUndefined();
  });

  it('parses thread ids out of rollout names', () => {
    expect(threadIdOfRolloutName(`rollout-2026-06-21T06-06-38-${ROOT_ID}.jsonl`)).toBe(ROOT_ID);
    expect(threadIdOfRolloutName(`rollout-${ROOT_ID}.jsonl`)).toBeUndefined();
    expect(threadIdOfRolloutName(`${ROOT_ID}.jsonl`)).toBeUndefined();
  });
});

describe('rollout files', () => {
  it('reads session_meta from disk and distinguishes missing, still-being-written and foreign files', async () => {
    const home = makeCodexHome();
    const path = writeRollout(home.sessions, CHILD_ID, childRolloutLines(CHILD_ID, ROOT_ID));
    const read = await readSessionMeta(path);
    expect(read.status === 'ok' && read.meta.parentThreadId).toBe(ROOT_ID);

    expect(await readSessionMeta(rolloutPath(home.sessions, ROOT_ID))).toEqual({ status: 'missing' });
    const partial = join(home.sessions, 'partial.jsonl');
    writeFileSync(partial, sessionMetaLine({ id: ROOT_ID }).slice(0, 500));
    expect(await readSessionMeta(partial)).toEqual({ status: 'pending' });
    const foreign = join(home.sessions, 'foreign.jsonl');
    writeFileSync(foreign, '{"type":"turn_context","payload":{}}\n');
    expect(await readSessionMeta(foreign)).toEqual({ status: 'none' });
  });

  it('waits briefly for a rollout Codex is about to write', async () => {
    const home = makeCodexHome();
    const path = rolloutPath(home.sessions, ROOT_ID);
    setTimeout(() => writeRollout(home.sessions, ROOT_ID, rootRolloutLines()), 30);
    const read = await readSessionMetaSoon(path, { retries: 20, intervalMs: 10 });
    expect(read.status).toBe('ok');
    expect(await readSessionMetaSoon(rolloutPath(home.sessions, CHILD_ID), { retries: 2, intervalMs: 1 })).toEqual({ status: 'missing' });
  });

  it('reads only complete lines, across read blocks and multi-byte characters, up to a byte cap', async () => {
    const home = makeCodexHome();
    const path = writeRollout(home.sessions, ROOT_ID, []);
    const long = 'é漢'.repeat(40_000); // ~200 KB: several read blocks, characters split between them
    writeFileSync(path, `first\r\n${long}\n\nthird\npartial`);
    const seen: string[] = [];
    expect(await forEachHeadLine(path, 1 << 20, (l) => void seen.push(l))).toEqual({ lines: 4, capped: false });
    expect(seen).toEqual(['first', long, '', 'third']);
    expect(await forEachHeadLine(path, 100_000, () => undefined)).toEqual({ lines: 1, capped: true });
    let stoppedAt = -1;
    expect(await forEachHeadLine(path, 1 << 20, (_l, i) => ((stoppedAt = i), i === 1))).toEqual({ lines: 2, capped: false });
    expect(stoppedAt).toBe(1);
  });

  it('gives up on a first line longer than the scan cap instead of waiting for it forever', async () => {
    const home = makeCodexHome();
    const path = writeRollout(home.sessions, ROOT_ID, []);
    writeFileSync(path, 'x'.repeat(9 * 1024 * 1024));
    expect(await readSessionMeta(path)).toEqual({ status: 'none' });
  });
});
