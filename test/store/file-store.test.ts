import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/backend/store.js';
import type { ChunkRequest } from '../../src/backend/wire.js';
import { FileStore } from '../../src/store/file-store.js';

let dir: string;
let store: FileStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'confab-store-'));
  store = await FileStore.open(join(dir, 'store'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const init = (owner = 'alice', externalId = 'ext-1', provider = 'claude-code', extra: Record<string, unknown> = {}) =>
  store.init(owner, { provider, external_id: externalId, transcript_path: `/t/${externalId}.jsonl`, ...extra });

const chunk = (sessionId: string, firstLine: number, lines: string[], extra: Partial<ChunkRequest> = {}) =>
  store.appendChunk('alice', { session_id: sessionId, file_name: 'transcript.jsonl', file_type: 'transcript', first_line: firstLine, lines, ...extra });

async function refused(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected the store to refuse');
}

describe('sessions', () => {
  it('keys sessions by (owner, provider, external_id) with a stable UUID', async () => {
    const a = await init();
    expect(a.session_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).toEqual({ session_id: a.session_id, provider: 'claude-code', files: {} });
    expect((await init()).session_id).toBe(a.session_id);
    expect((await init('alice', 'ext-1', 'codex')).session_id).not.toBe(a.session_id);
    expect((await init('bob')).session_id).not.toBe(a.session_id);
    // A reopened store (another process) computes the same id.
    const again = await FileStore.open(join(dir, 'store'));
    expect((await again.init('alice', { provider: 'claude-code', external_id: 'ext-1', transcript_path: '/x' })).session_id).toBe(a.session_id);
  });

  it('defaults the provider and validates init in confab-web order', async () => {
    expect((await store.init('alice', { external_id: 'e', transcript_path: '/p' } as never)).provider).toBe('claude-code');
    expect((await refused(store.init('alice', { provider: 'claude-code', external_id: '', transcript_path: '' }))).message).toBe('external_id is required');
    expect((await refused(store.init('alice', { provider: 'claude-code', external_id: 'e', transcript_path: '' }))).message).toBe('transcript_path is required');
    expect((await refused(store.init('alice', { provider: 'claude-code', external_id: 'x'.repeat(513), transcript_path: '/p' }))).message).toBe(
      'external_id exceeds maximum length of 512 characters',
    );
    expect((await refused(store.init('alice', { provider: 'claude-code', external_id: 'a\ud800b', transcript_path: '/p' }))).message).toBe('external_id must be valid UTF-8');
    const strict = await FileStore.open(join(dir, 'store'), { providers: ['claude-code', 'codex', 'opencode', 'cursor'] });
    const e = await refused(strict.init('alice', { provider: 'Claude-Code', external_id: 'e', transcript_path: '/p' }));
    expect(e.status).toBe(400);
    expect(e.message).toBe('unknown provider "Claude-Code": must be one of claude-code, codex, opencode, cursor');
    expect((await refused(strict.init('alice', { provider: '', external_id: 'e', transcript_path: '/p' }))).message).toMatch(/^unknown provider ""/);
    expect((await refused(init('alice', 'e', 'claude-code', { metadata: { cwd: 'c'.repeat(8193) } }))).message).toBe('cwd exceeds maximum length of 8192 characters');
    expect((await refused(init('alice', 'e', 'claude-code', { metadata: { hostname: 'h'.repeat(256) } }))).message).toBe('hostname exceeds maximum length of 255 characters');
    const remotes = Array.from({ length: 51 }, (_, i) => ({ name: `r${i}`, fetch_url: 'u', push_url: 'u' }));
    expect((await refused(init('alice', 'e', 'claude-code', { metadata: { git_info: { is_dirty: false, remotes } } }))).message).toBe(
      'git_info.remotes exceeds maximum of 50 entries',
    );
    expect(
      (await refused(init('alice', 'e', 'claude-code', { metadata: { git_info: { is_dirty: false, remotes: [{ name: 'o', fetch_url: 'u', push_url: 'u' }, { name: '', fetch_url: 'u' }] } } }))).message,
    ).toBe('git_info.remotes[1].name is required');
    expect((await refused(init('alice', 'e', 'claude-code', { metadata: { cwd: 'a\u0000b' } }))).message).toBe('metadata.cwd must not contain NUL characters');
    expect(await store.listSessions()).toHaveLength(1); // only the first, valid init
  });

  it('re-init updates metadata but never blanks cwd or git_info', async () => {
    const git = { is_dirty: false, branch: 'main' };
    const { session_id } = await init('alice', 'e', 'claude-code', { metadata: { cwd: '/a', git_info: git, hostname: 'h1', username: 'u1' } });
    await init('alice', 'e', 'claude-code', { transcript_path: '/moved.jsonl', metadata: { cwd: '', hostname: '' } });
    const s = await store.getSession(session_id);
    expect(s).toMatchObject({ cwd: '/a', git_info: git, hostname: 'h1', username: 'u1', transcript_path: '/moved.jsonl' });
    await init('alice', 'e', 'claude-code', { metadata: { cwd: '/b', git_info: { is_dirty: true } } });
    expect(await store.getSession(session_id)).toMatchObject({ cwd: '/b', git_info: { is_dirty: true } });
  });

  it('enforces ownership: another owner gets 403 Access denied, unknown ids 404 Session not found', async () => {
    const { session_id } = await init();
    const other = await refused(store.appendChunk('mallory', { session_id, file_name: 'f', file_type: 'agent', first_line: 1, lines: ['x'] }));
    expect([other.status, other.message]).toEqual([403, 'Access denied']);
    const unknown = await refused(chunk('00000000-0000-4000-8000-000000000000', 1, ['x']));
    expect([unknown.status, unknown.message]).toEqual([404, 'Session not found']);
    expect((await refused(chunk('../../etc', 1, ['x']))).status).toBe(404);
    expect((await refused(store.recordEvent('mallory', { session_id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z' }))).status).toBe(403);
    expect(await store.getSession(session_id, 'mallory')).toBeUndefined();
    expect((await store.getSession(session_id, 'alice'))?.files).toEqual([]);
  });
});

describe('chunks', () => {
  it('appends contiguous chunks and refuses gaps, overlaps and exact re-sends', async () => {
    const { session_id } = await init();
    expect((await refused(chunk(session_id, 2, ['a']))).message).toBe('first_line must be 1 (got 2) - chunks must be contiguous');
    expect(await chunk(session_id, 1, ['a', 'b', 'c'])).toEqual({ last_synced_line: 3 });
    const resend = await refused(chunk(session_id, 1, ['a', 'b', 'c']));
    expect([resend.status, resend.message]).toEqual([400, 'first_line must be 4 (got 1) - chunks must be contiguous']);
    expect((await refused(chunk(session_id, 3, ['c', 'd']))).message).toBe('first_line must be 4 (got 3) - chunks must be contiguous');
    expect((await refused(chunk(session_id, 6, ['f']))).message).toBe('first_line must be 4 (got 6) - chunks must be contiguous');
    expect(await chunk(session_id, 4, ['', 'é ✓'])).toEqual({ last_synced_line: 5 });
    expect((await init()).files).toEqual({ 'transcript.jsonl': { last_synced_line: 5 } });
    expect((await store.readFile(session_id, 'transcript.jsonl')).toString()).toBe('a\nb\nc\n\né ✓\n');
    expect((await store.readFile(session_id, 'transcript.jsonl', 3)).toString()).toBe('\né ✓\n');
    expect((await store.readFile(session_id, 'transcript.jsonl', 5)).length).toBe(0);
    expect((await store.readFile(session_id, 'transcript.jsonl', 99)).length).toBe(0);
    const f = (await store.getSession(session_id))!.files[0]!;
    expect(f).toMatchObject({ file_name: 'transcript.jsonl', file_type: 'transcript', last_synced_line: 5, chunk_count: 2, bytes: Buffer.byteLength('a\nb\nc\n\né ✓\n') });
    expect((await refused(store.readFile(session_id, 'nope.jsonl'))).message).toBe('File not found');
  });

  it('validates chunk fields in confab-web order with its messages', async () => {
    const { session_id } = await init();
    const base = { session_id, file_name: 'a.jsonl', file_type: 'agent', first_line: 1, lines: ['x'] } as ChunkRequest;
    const msg = async (patch: Record<string, unknown>) => (await refused(store.appendChunk('alice', { ...base, ...patch } as ChunkRequest))).message;
    expect(await msg({ session_id: '', file_name: '' })).toBe('session_id is required');
    expect(await msg({ file_name: '', file_type: '' })).toBe('file_name is required');
    expect(await msg({ file_type: '' })).toBe('file_type is required');
    expect(await msg({ file_type: 'todo' })).toBe('todo file sync is no longer supported');
    expect(await msg({ first_line: 0, lines: [] })).toBe('first_line must be >= 1');
    expect(await msg({ lines: [] })).toBe('lines array cannot be empty');
    expect(await msg({ file_name: 'x'.repeat(513) })).toBe('file_name exceeds maximum length of 512 characters');
    expect(await msg({ file_type: 'notes' })).toBe('file_type must be one of transcript, agent, workflow_journal');
    expect(await msg({ file_type: 'workflow_journal', file_name: 'journal.jsonl' })).toMatch(/^workflow_journal files must be named/);
    expect(await msg({ lines: ['ok', 'a\nb'] })).toBe('lines[1] contains a newline character');
    expect(await msg({ first_line: 99_999_999, lines: ['a', 'b'] })).toBe('last line 100000000 exceeds the maximum line number 99999999');
    expect(await msg({ metadata: { summary: 's'.repeat(2049) } })).toBe('summary exceeds maximum length of 2048 characters');
    expect(await msg({ metadata: { first_user_message: 'm'.repeat(8193) } })).toBe('first_user_message exceeds maximum length of 8192 characters');
    expect(await msg({ metadata: { model: 'm'.repeat(256) } })).toBe('model exceeds maximum length of 255 characters');
    expect(await msg({ metadata: { summary: 'a\u0000' } })).toBe('metadata.summary must not contain NUL characters');
    expect(await msg({ metadata: { codex_rollout: { thread_uuid: '11111111-1111-4111-8111-111111111111', rollout_path: '/r' } } })).toBe(
      'codex_rollout metadata is only supported for codex sessions',
    );
    // NUL inside a line is content, not a stored field.
    expect(await store.appendChunk('alice', { ...base, lines: ['a\u0000b'] })).toEqual({ last_synced_line: 1 });
    expect((await store.readFile(session_id, 'a.jsonl')).toString()).toBe('a\u0000b\n');
  });

  it('rejects unsafe file names and names that are a path prefix of another file', async () => {
    const { session_id } = await init();
    for (const name of ['/abs', 'a\\b', 'a//b', './a', 'a/../b', 'a/.', '..', 'a\tb', 'a\u0001', 'dir/']) {
      const e = await refused(store.appendChunk('alice', { session_id, file_name: name, file_type: 'agent', first_line: 1, lines: ['x'] }));
      expect(e.status, name).toBe(400);
      expect(e.message, name).toMatch(/^file_name must/);
    }
    await store.appendChunk('alice', { session_id, file_name: 'sub/agent-1.jsonl', file_type: 'agent', first_line: 1, lines: ['x'] });
    for (const name of ['sub', 'sub/agent-1.jsonl/x']) {
      const e = await refused(store.appendChunk('alice', { session_id, file_name: name, file_type: 'agent', first_line: 1, lines: ['x'] }));
      expect(e.message).toMatch(/conflicts with file/);
    }
    expect((await store.getSession(session_id))!.files.map((f) => f.file_name)).toEqual(['sub/agent-1.jsonl']);
  });

  it('records file_type on the first chunk, keeps it, and allows one transcript per session', async () => {
    const { session_id } = await init();
    await chunk(session_id, 1, ['a']);
    expect((await refused(chunk(session_id, 2, ['b'], { file_type: 'agent' }))).message).toBe('file_type of transcript.jsonl is transcript (got agent)');
    expect((await refused(chunk(session_id, 1, ['b'], { file_name: 'other.jsonl' }))).message).toMatch(/already has a transcript file \(transcript.jsonl\)/);
    await chunk(session_id, 1, ['b'], { file_name: 'agent-1.jsonl', file_type: 'agent' });
    await chunk(session_id, 1, ['j'], { file_name: 'subagents/workflows/run1/journal.jsonl', file_type: 'workflow_journal' });
    expect((await store.getSession(session_id))!.files.map((f) => [f.file_name, f.file_type])).toEqual([
      ['transcript.jsonl', 'transcript'],
      ['agent-1.jsonl', 'agent'],
      ['subagents/workflows/run1/journal.jsonl', 'workflow_journal'],
    ]);
  });

  it('refuses a file once it holds the chunk limit, with confab-web message', async () => {
    const limited = await FileStore.open(join(dir, 'store'), { chunkLimit: 3 });
    const { session_id } = await limited.init('alice', { provider: 'claude-code', external_id: 'lim', transcript_path: '/p' });
    for (let i = 1; i <= 3; i++) await limited.appendChunk('alice', { session_id, file_name: 'f', file_type: 'agent', first_line: i, lines: [`${i}`] });
    const e = await refused(limited.appendChunk('alice', { session_id, file_name: 'f', file_type: 'agent', first_line: 4, lines: ['4'] }));
    expect(e.message).toBe('File has too many chunks (limit: 3). Consider starting a new session.');
    // The continuity check comes first.
    expect((await refused(limited.appendChunk('alice', { session_id, file_name: 'f', file_type: 'agent', first_line: 9, lines: ['4'] }))).message).toMatch(/^first_line must be 4/);
    const unlimited = await FileStore.open(join(dir, 'store'), { chunkLimit: false });
    expect(await unlimited.appendChunk('alice', { session_id, file_name: 'f', file_type: 'agent', first_line: 4, lines: ['4'] })).toEqual({ last_synced_line: 4 });
  });

  it('serves reads after any line from the sparse index, exactly', async () => {
    const { session_id } = await init();
    const all: string[] = [];
    let next = 1;
    // Mixed chunk sizes and line lengths, past several index strides.
    for (let c = 0; c < 40; c++) {
      const lines = Array.from({ length: 1 + ((c * 37) % 300) }, (_, i) => `{"n":${next + i},"pad":"${'x'.repeat((next + i) % 700)}"}`);
      await chunk(session_id, next, lines);
      all.push(...lines);
      next += lines.length;
    }
    const full = await store.readFile(session_id, 'transcript.jsonl');
    expect(full.toString()).toBe(`${all.join('\n')}\n`);
    expect(full.length).toBeGreaterThan(10 * 64 * 1024);
    for (const after of [0, 1, 2, 17, 299, 300, 301, 1000, 2345, all.length - 1, all.length]) {
      const expected = after >= all.length ? '' : `${all.slice(after).join('\n')}\n`;
      expect((await store.readFile(session_id, 'transcript.jsonl', after)).toString(), `after ${after}`).toBe(expected);
    }
  });

  it('serializes racing appends to one file in one process: one wins, the other gets the continuity error', async () => {
    const { session_id } = await init();
    await chunk(session_id, 1, ['a']);
    const results = await Promise.allSettled([chunk(session_id, 2, ['b1']), chunk(session_id, 2, ['b2']), chunk(session_id, 2, ['b3'])]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as Error).message).toBe('first_line must be 3 (got 2) - chunks must be contiguous');
    expect((await store.readFile(session_id, 'transcript.jsonl')).toString()).toMatch(/^a\nb[123]\n$/);
  });
});

describe('transcript metadata (rule 23)', () => {
  it('summary last-write-wins, first_user_message first-write-wins, git_info replaced', async () => {
    const { session_id } = await init();
    await chunk(session_id, 1, ['a'], { metadata: { summary: 'one', first_user_message: 'first', git_info: { is_dirty: false, branch: 'a' } } });
    await chunk(session_id, 2, ['b'], { metadata: { summary: '', first_user_message: 'second', git_info: { is_dirty: true } } });
    expect(await store.getSession(session_id)).toMatchObject({ summary: '', first_user_message: 'first', git_info: { is_dirty: true } });
    await chunk(session_id, 3, ['c'], { metadata: {} });
    expect(await store.getSession(session_id)).toMatchObject({ summary: '', first_user_message: 'first' });
    // Non-transcript chunks never touch the session's metadata.
    await chunk(session_id, 1, ['x'], { file_name: 'agent.jsonl', file_type: 'agent', metadata: { summary: 'agent' } });
    expect((await store.getSession(session_id))!.summary).toBe('');
  });

  it('last_message_at is the newest line timestamp, ignoring times more than 48 h ahead; created_at only lowers first_seen', async () => {
    const { session_id } = await init();
    const future = new Date(Date.now() + 72 * 3600_000).toISOString();
    await chunk(session_id, 1, [
      JSON.stringify({ type: 'user', timestamp: '2024-01-02T00:00:00Z' }),
      JSON.stringify({ type: 'assistant', timestamp: '2024-01-03T10:00:00.500Z' }),
      JSON.stringify({ type: 'assistant', timestamp: future }),
      'not json "timestamp"',
    ]);
    expect((await store.getSession(session_id))!.last_message_at).toBe('2024-01-03T10:00:00.500Z');
    await chunk(session_id, 5, [JSON.stringify({ timestamp: '2024-01-01T00:00:00Z' })], { metadata: { created_at: '2020-05-05T00:00:00Z' } });
    const s = await store.getSession(session_id);
    expect(s!.last_message_at).toBe('2024-01-03T10:00:00.500Z');
    expect(s!.first_seen).toBe('2020-05-05T00:00:00.000Z');
    await chunk(session_id, 6, ['x'], { metadata: { created_at: '2021-01-01T00:00:00Z', latest_message_at: '2025-01-01T00:00:00+02:00' } });
    expect(await store.getSession(session_id)).toMatchObject({ first_seen: '2020-05-05T00:00:00.000Z', last_message_at: '2024-12-31T22:00:00.000Z' });
  });

  it('cursor: first_user_message is unwrapped from <user_query>', async () => {
    const { session_id } = await store.init('alice', { provider: 'cursor', external_id: 'c1', transcript_path: '/p' });
    await store.appendChunk('alice', { session_id, file_name: 'main.jsonl', file_type: 'transcript', first_line: 1, lines: ['{}'], metadata: { first_user_message: '<user_query> </user_query>' } });
    expect((await store.getSession(session_id))!.first_user_message).toBeUndefined();
    await store.appendChunk('alice', { session_id, file_name: 'main.jsonl', file_type: 'transcript', first_line: 2, lines: ['{}'], metadata: { first_user_message: '<user_query>\nfix it\n</user_query>' } });
    expect((await store.getSession(session_id))!.first_user_message).toBe('fix it');
  });

  it('codex rollouts upsert by thread (parent first-write-wins); cursor model first non-empty wins', async () => {
    const { session_id } = await store.init('alice', { provider: 'codex', external_id: 'cx', transcript_path: '/p' });
    const thread = '11111111-1111-4111-8111-111111111111';
    const parentA = '22222222-2222-4222-8222-222222222222';
    const parentB = '33333333-3333-4333-8333-333333333333';
    const send = (first_line: number, codex_rollout: Record<string, string>) =>
      store.appendChunk('alice', { session_id, file_name: 'child.jsonl', file_type: 'agent', first_line, lines: ['{}'], metadata: { codex_rollout: codex_rollout as never } });
    await send(1, { thread_uuid: thread, rollout_path: '/r1', parent_thread_uuid: parentA, model: 'm1' });
    await send(2, { thread_uuid: thread, rollout_path: '/r2', parent_thread_uuid: parentB, model: '' });
    expect((await store.getSession(session_id))!.codex_rollouts).toEqual({ [thread]: { thread_uuid: thread, rollout_path: '/r2', parent_thread_uuid: parentA, model: 'm1' } });
    expect((await refused(send(3, { thread_uuid: 'nope', rollout_path: '/r' }))).message).toBe('codex_rollout.thread_uuid must be a valid UUID');
    expect((await refused(send(3, { thread_uuid: thread, rollout_path: '/r', parent_thread_uuid: thread }))).message).toBe('codex_rollout.parent_thread_uuid must differ from thread_uuid');
    expect((await refused(send(3, { thread_uuid: thread }))).message).toBe('codex_rollout.rollout_path is required');

    const cursor = await store.init('alice', { provider: 'cursor', external_id: 'cu', transcript_path: '/p' });
    const c = (first_line: number, model: string, file_type = 'transcript', file_name = 'main.jsonl') =>
      store.appendChunk('alice', { session_id: cursor.session_id, file_name, file_type: file_type as never, first_line, lines: ['{}'], metadata: { model } });
    await c(1, '');
    await c(1, 'agent-model', 'agent', 'sub.jsonl');
    expect((await store.getSession(cursor.session_id))!.model).toBeUndefined();
    await c(2, 'gpt-x');
    await c(3, 'gpt-y');
    expect((await store.getSession(cursor.session_id))!.model).toBe('gpt-x');
  });

  it('records Claude Code pr-link lines and github links, upserting', async () => {
    const { session_id } = await init();
    await chunk(session_id, 1, [JSON.stringify({ type: 'pr-link', prRepository: 'o/r', prNumber: 12, prUrl: 'https://github.com/o/r/pull/12' })]);
    const link = await store.recordGithubLink('alice', session_id, { url: 'https://github.com/o/r/pull/12', source: 'cli_hook', title: 'T' });
    expect(link).toMatchObject({ link_type: 'pull_request', owner: 'o', repo: 'r', ref: '12', title: 'T', source: 'cli_hook' });
    await store.recordGithubLink('alice', session_id, { url: 'https://github.com/o/r/commit/abc123', source: 'manual' });
    expect((await store.getSession(session_id))!.github_links).toHaveLength(2);
    expect((await refused(store.recordGithubLink('bob', session_id, { url: 'https://github.com/o/r/pull/1', source: 'manual' }))).status).toBe(404);
    expect((await refused(store.recordGithubLink('alice', session_id, { url: 'https://gitlab.com/o/r/pull/1', source: 'manual' }))).message).toBe(
      'invalid GitHub URL: must be a PR or commit URL',
    );
    expect((await refused(store.recordGithubLink('alice', session_id, { url: 'https://github.com/o/r/pull/1', source: 'x' }))).message).toBe("source must be 'cli_hook' or 'manual'");
  });
});

describe('events and summaries', () => {
  it('records every event, without deduplication', async () => {
    const { session_id } = await init();
    const ev = { session_id, event_type: 'session_end' as const, timestamp: '2024-01-01T00:00:00Z', payload: { reason: 'exit' } };
    await store.recordEvent('alice', ev);
    await store.recordEvent('alice', ev);
    const events = await store.listEvents(session_id);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z', payload: { reason: 'exit' } });
    expect((await refused(store.recordEvent('alice', { ...ev, event_type: 'start' as never }))).message).toBe("invalid event_type: must be 'session_end'");
    expect((await refused(store.recordEvent('alice', { ...ev, timestamp: '0001-01-01T00:00:00Z' }))).message).toBe('timestamp is required');
  });

  it('updates the summary of every provider session of that owner and external id', async () => {
    const a = await init('alice', 'shared');
    const b = await init('alice', 'shared', 'codex');
    const c = await init('bob', 'only-bob');
    await store.updateSummary('alice', 'shared', 'linked');
    expect((await store.getSession(a.session_id))!.summary).toBe('linked');
    expect((await store.getSession(b.session_id))!.summary).toBe('linked');
    expect((await refused(store.updateSummary('alice', 'only-bob', 'x'))).status).toBe(403);
    expect((await refused(store.updateSummary('alice', 'nobody', 'x'))).message).toBe('Session not found');
    expect((await refused(store.updateSummary('alice', 'shared', 's'.repeat(2049)))).status).toBe(400);
    expect((await store.getSession(c.session_id))!.summary).toBeUndefined();
  });
});

describe('on disk', () => {
  it('keeps files 0600 and dirs 0700, and a download is the data file itself', async () => {
    const { session_id } = await init();
    await chunk(session_id, 1, ['a', 'b']);
    await store.recordEvent('alice', { session_id, event_type: 'session_end', timestamp: '2024-01-01T00:00:00Z' });
    const walk = (p: string): void => {
      const st = statSync(p);
      if (st.isDirectory()) {
        expect(st.mode & 0o777, p).toBe(0o700);
        for (const n of readdirSync(p)) walk(join(p, n));
      } else expect(st.mode & 0o777, p).toBe(0o600);
    };
    walk(join(dir, 'store'));
  });

  it('ignores and then discards an uncommitted tail left by a killed write', async () => {
    const { session_id } = await init();
    await chunk(session_id, 1, ['a', 'b']);
    const dataFile = join(dir, 'store', 'sessions', session_id, 'files', '1.jsonl');
    appendFileSync(dataFile, '{"torn": tr');
    expect((await store.readFile(session_id, 'transcript.jsonl')).toString()).toBe('a\nb\n');
    expect((await store.getSession(session_id))!.files[0]!.bytes).toBe(4);
    await chunk(session_id, 3, ['c']);
    expect((await store.readFile(session_id, 'transcript.jsonl')).toString()).toBe('a\nb\nc\n');
    expect(statSync(dataFile).size).toBe(6);
  });

  it('turns write failures into 507 with nothing committed', async () => {
    let failOn: string | undefined;
    const flaky = await FileStore.open(join(dir, 'store'), {
      ioFault: (op) => {
        if (op === failOn) throw Object.assign(new Error('no space'), { code: op === 'meta' ? 'EIO' : 'ENOSPC' });
      },
    });
    const { session_id } = await flaky.init('alice', { provider: 'claude-code', external_id: 'f', transcript_path: '/p' });
    await flaky.appendChunk('alice', { session_id, file_name: 'f', file_type: 'agent', first_line: 1, lines: ['a'] });
    const dataFile = join(dir, 'store', 'sessions', session_id, 'files', '1.jsonl');
    for (const op of ['data', 'index', 'meta'] as const) {
      failOn = op;
      // Enough lines for an index entry, so the index is written before the failing step.
      const lines = op === 'index' ? Array.from({ length: 40 }, () => 'x'.repeat(4096)) : ['b'];
      const e = await refused(flaky.appendChunk('alice', { session_id, file_name: 'f', file_type: 'agent', first_line: 2, lines, metadata: {} }));
      expect(e.status).toBe(507);
      expect(e.message).toMatch(op === 'meta' ? /^Insufficient storage: write failed \(EIO\)$/ : /^Insufficient storage: no space left on device$/);
      expect((await flaky.getSession(session_id))!.files[0]).toMatchObject({ last_synced_line: 1, chunk_count: 1, bytes: 2 });
      expect((await flaky.readFile(session_id, 'f')).toString()).toBe('a\n');
      // The failed write gave its space back at once, not at the file's next append.
      expect(statSync(dataFile).size).toBe(2);
    }
    failOn = undefined;
    expect((await flaky.init('alice', { provider: 'claude-code', external_id: 'f', transcript_path: '/p' })).files).toEqual({ f: { last_synced_line: 1 } });
    await flaky.appendChunk('alice', { session_id, file_name: 'f', file_type: 'agent', first_line: 2, lines: ['c'] });
    expect((await flaky.readFile(session_id, 'f')).toString()).toBe('a\nc\n');
  });
});
