import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileType } from '../../src/format/wire.js';
import { openLocalBackend, type LocalBackend } from '../../src/backend/local.js';
import { createRedactor } from '../../src/redact/index.js';
import { indexPathFor, SCHEMA_VERSION, SearchIndex } from '../../src/search/index-db.js';
import { openDatabase } from '../../src/sqlite/database.js';
import { IndexingStore } from '../../src/search/indexing-store.js';
import { MATCH_START, QuerySyntaxError, RANK_MATCHES, RANK_SESSIONS, search, toFtsQuery, type SearchHit } from '../../src/search/query.js';
import { bestHits, rankedSessions, rankSessions, snippetRange } from '../../src/search/session-search.js';
import { indexStore, openStoreIndex } from '../../src/cli/search-index.js';
import { FileStore } from '../../src/store/file-store.js';
import { REPO_ROOT } from '../helpers/sandbox.js';

const CC = join(REPO_ROOT, 'test/fixtures/claude-code-real/2.1.332/project-dir');
const CC_MAIN = join(CC, '958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl');
const CC_AGENT = join(CC, '958a0291-14d6-41d4-abad-e3757ff1ad70/subagents/agent-aa8934ac9a2623aee.jsonl');
const CODEX = join(REPO_ROOT, 'test/fixtures/codex-real/0.171.0/codex-home/sessions/2026/12/03/rollout-2026-12-03T15-13-46-01a23c77-fc2b-7860-b570-891f3a6e022f.jsonl');

const fixtureLines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

let dir: string;
let storeDir: string;
let backend: LocalBackend;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'confab-search-'));
  storeDir = join(dir, 'store');
  backend = await openLocalBackend(storeDir);
});
afterEach(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Upload lines as the daemon does: redacted, in chunks. */
async function upload(sessionId: string, fileName: string, fileType: FileType, lines: string[], chunk = 7): Promise<void> {
  const redactor = createRedactor()!;
  const redacted = lines.map((l) => redactor.redactLine(l));
  for (let i = 0; i < redacted.length; i += chunk) {
    await backend.chunk({ session_id: sessionId, file_name: fileName, file_type: fileType, first_line: i + 1, lines: redacted.slice(i, i + chunk) });
  }
}

async function seed(): Promise<{ claude: string; codex: string }> {
  const claude = await backend.init({
    provider: 'claude-code',
    external_id: '958a0291-14d6-41d4-abad-e3757ff1ad70',
    transcript_path: CC_MAIN,
    metadata: { cwd: '/home/dev/projects/webshop', git_info: { repo_url: 'https://github.com/acme/webshop.git', branch: 'feature/cart', is_dirty: false } },
  });
  await upload(claude.session_id, '958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl', 'transcript', fixtureLines(CC_MAIN));
  await upload(claude.session_id, 'subagents/agent-aa8934ac9a2623aee.jsonl', 'agent', fixtureLines(CC_AGENT));
  const codex = await backend.init({ provider: 'codex', external_id: '01a23c77-fc2b-7860-b570-891f3a6e022f', transcript_path: CODEX, metadata: { cwd: '/home/dev/projects/api' } });
  await upload(codex.session_id, 'rollout.jsonl', 'transcript', fixtureLines(CODEX));
  return { claude: claude.session_id, codex: codex.session_id };
}

async function flushIndex(): Promise<void> {
  await ((backend as unknown as { store: IndexingStore }).store).flush();
}

function query(q: string, opts: Parameters<typeof search>[2] = {}): SearchHit[] {
  const index = SearchIndex.open(indexPathFor(storeDir));
  try {
    return search(index.db, q, opts);
  } finally {
    index.close();
  }
}

const addresses = (hits: SearchHit[]) => hits.map((h) => h.address).sort();

describe('the search index', () => {
  it('finds a phrase in a sub-agent tool result, at an address of the stored line', async () => {
    const { claude } = await seed();
    await flushIndex();
    const hits = query('"from-subagent"', { role: 'tool' });
    const agentHits = hits.filter((h) => h.file_name === 'subagents/agent-aa8934ac9a2623aee.jsonl');
    expect(agentHits.length).toBeGreaterThanOrEqual(2); // the Bash call and its result
    const result = agentHits.find((h) => !h.snippet.includes('echo'))!;
    expect(result.session_id).toBe(claude);
    expect(result.tool).toBe('Bash');
    const [, fileName, line] = /^[^:]+:(.+):(\d+)$/.exec(result.address)!;
    const stored = (await backend.downloadFile(claude, fileName!)).toString().split('\n')[Number(line) - 1]!;
    expect(stored).toContain('"tool_result"');
    expect(stored).toContain('from-subagent');
  });

  it('never holds a redacted secret: only what the store holds is indexed', async () => {
    const init = await backend.init({ provider: 'claude-code', external_id: 'secret-session', transcript_path: '/t.jsonl' });
    const secret = 'AKIAQWERTYUIOPASDFGH';
    await upload(init.session_id, 't.jsonl', 'transcript', [
      JSON.stringify({ type: 'user', timestamp: '2026-11-01T10:00:00Z', message: { role: 'user', content: `deploy with key ${secret} to staging` } }),
    ]);
    await flushIndex();
    expect(query('staging').map((h) => h.session_id)).toEqual([init.session_id]);
    expect(query(secret)).toEqual([]);
    expect(query('AKIA*')).toEqual([]);
    const raw = readFileSync(indexPathFor(storeDir));
    expect(raw.includes(secret)).toBe(false);
  });

  it('filters by provider, project, role and time', async () => {
    const { claude, codex } = await seed();
    await flushIndex();
    const hello = query('hello', { limit: 100 });
    expect(new Set(hello.map((h) => h.session_id))).toEqual(new Set([claude, codex]));
    expect(new Set(query('hello', { provider: 'codex', limit: 100 }).map((h) => h.session_id))).toEqual(new Set([codex]));
    expect(new Set(query('hello', { project: 'webshop', limit: 100 }).map((h) => h.session_id))).toEqual(new Set([claude]));
    expect(new Set(query('hello', { project: '/home/dev/projects/api', limit: 100 }).map((h) => h.session_id))).toEqual(new Set([codex]));
    expect(new Set(query('hello', { project: '/home/dev', limit: 100 }).map((h) => h.session_id))).toEqual(new Set([claude, codex]));
    expect(query('hello', { project: 'nope' })).toEqual([]);
    const users = query('hello', { role: 'user', limit: 100 });
    expect(users.length).toBeGreaterThan(0);
    expect(users.every((h) => h.role === 'user')).toBe(true);
    expect(users.some((h) => h.snippet.includes('\u0002hello\u0003'))).toBe(true);
    const tools = query('echo', { role: 'tool', limit: 100 });
    expect(tools.some((h) => h.tool === 'Bash')).toBe(true);
    expect(tools.some((h) => h.tool === 'exec_command')).toBe(true);
    // The Claude Code session ran on 2026-11-25, the Codex one on 2026-12-03.
    const dec = Date.parse('2026-12-01T00:00:00Z');
    expect(new Set(query('hello', { since: dec, limit: 100 }).map((h) => h.session_id))).toEqual(new Set([codex]));
    expect(new Set(query('hello', { until: dec, limit: 100 }).map((h) => h.session_id))).toEqual(new Set([claude]));
    // Paging: two pages of one are the first two hits.
    const both = query('hello', { limit: 2 });
    expect([...query('hello', { limit: 1 }), ...query('hello', { limit: 1, offset: 1 })]).toEqual(both);
  });

  it('ranks the line that is about the query above one that mentions it in passing', async () => {
    const init = await backend.init({ provider: 'claude-code', external_id: 'rank', transcript_path: '/t.jsonl' });
    const filler = 'we looked at the build output and the linter and the formatter and the docs and the changelog for a while';
    const line = (text: string, i: number) =>
      JSON.stringify({ type: 'user', timestamp: `2026-11-01T10:00:0${i}Z`, message: { role: 'user', content: text } });
    await upload(init.session_id, 't.jsonl', 'transcript', [
      line(`${filler} then a memoization aside`, 1),
      line('memoization memoization: the memoization cache misses', 2),
      line(`${filler} ${filler}`, 3),
    ]);
    await flushIndex();
    const hits = query('memoization');
    expect(hits.map((h) => h.line)).toEqual([2, 1]);
  });

  it('words, phrases and prefixes; punctuation is literal; bad syntax is one clear error', async () => {
    await seed();
    await flushIndex();
    expect(query('sub-agent reported').length).toBeGreaterThan(0);
    expect(query('"sub-agent reported back"').length).toBeGreaterThan(0);
    expect(query('"reported sub-agent back"')).toEqual([]);
    expect(query('goodb*').some((h) => h.snippet.includes('\u0002Goodbye\u0003'))).toBe(true);
    expect(query('goodb')).toEqual([]);
    expect(toFtsQuery('a.b "c d" ef* "f gh"*')).toBe('"a.b" "c d" "ef"* "f gh"*');
    expect(() => toFtsQuery('"unterminated')).toThrow(QuerySyntaxError);
    expect(() => toFtsQuery('   ')).toThrow(/query is empty/);
    expect(() => toFtsQuery('***')).toThrow(/no letters or digits/);
  });

  it('deleted and rebuilt gives the same answers; a session whose source file is gone is still found', async () => {
    const { claude } = await seed();
    await flushIndex();
    const queries = ['hello', '"from-subagent"', 'goodb*', 'echo', 'resumed session'];
    const before = queries.map((q) => addresses(query(q, { limit: 100 })));
    expect(before.every((a) => a.length > 0)).toBe(true);
    // The agent deleted its transcript long ago: the store's copy is what is indexed.
    await SearchIndex.remove(indexPathFor(storeDir));
    const summary = await indexStore(storeDir, { fresh: true });
    expect(summary.sessions).toBe(2);
    expect(summary.lines).toBe(fixtureLines(CC_MAIN).length + fixtureLines(CC_AGENT).length + fixtureLines(CODEX).length);
    expect(queries.map((q) => addresses(query(q, { limit: 100 })))).toEqual(before);
    expect(query('"from-subagent"')[0]!.session_id).toBe(claude);
  });

  it('an index of an older layout is emptied when opened and caught up with the store by the next search', async () => {
    await seed();
    await flushIndex();
    const before = addresses(query('hello', { limit: 100 }));
    expect(before.length).toBeGreaterThan(0);
    // An index of the first layout (entries without their session, no per-day usage), holding a stale line.
    const path = indexPathFor(storeDir);
    await SearchIndex.remove(path);
    const old = openDatabase(path);
    old.exec(`CREATE TABLE info(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO info VALUES ('schema', '1');
      CREATE TABLE entries(id INTEGER PRIMARY KEY, fid INTEGER NOT NULL, line INTEGER NOT NULL, time INTEGER, role TEXT NOT NULL, tool TEXT, text TEXT NOT NULL);
      CREATE VIRTUAL TABLE entries_fts USING fts5(text, content='entries', content_rowid='id');
      INSERT INTO entries VALUES (1, 1, 1, NULL, 'user', NULL, 'stale hello');
      INSERT INTO entries_fts(rowid, text) VALUES (1, 'stale hello');`);
    old.close();
    const index = await openStoreIndex(storeDir);
    try {
      expect(index.db.get("SELECT value FROM info WHERE key = 'schema'")!.value).toBe(SCHEMA_VERSION);
      expect(index.isComplete()).toBe(true);
      expect(addresses(search(index.db, 'hello', { limit: 100 }))).toEqual(before);
      expect(search(index.db, 'stale')).toEqual([]);
    } finally {
      index.close();
    }
  });

  it('is private: the index file is 0600 in the 0700 store', async () => {
    // A reader holds the index open, so the WAL of the writers' commits stays on disk to be checked.
    const held = SearchIndex.open(indexPathFor(storeDir));
    try {
      await seed();
      await flushIndex();
      expect(statSync(indexPathFor(storeDir)).mode & 0o777).toBe(0o600);
      expect(statSync(`${indexPathFor(storeDir)}-wal`).mode & 0o777).toBe(0o600);
    } finally {
      held.close();
    }
    expect(statSync(storeDir).mode & 0o777).toBe(0o700);
  });

  it('indexes each line once when several writers index the same session at once', async () => {
    const { claude } = await seed();
    await flushIndex();
    const store = await FileStore.open(storeDir);
    const path = indexPathFor(storeDir);
    await SearchIndex.remove(path);
    const a = SearchIndex.open(path);
    const b = SearchIndex.open(path);
    try {
      await Promise.all([a.syncSession(store, claude), b.syncSession(store, claude), a.syncSession(store, claude)]);
      const n = Number(a.db.get('SELECT count(*) AS n FROM entries')!.n);
      await SearchIndex.remove(path);
      const c = SearchIndex.open(path);
      await c.syncSession(store, claude);
      expect(Number(c.db.get('SELECT count(*) AS n FROM entries')!.n)).toBe(n);
      c.close();
    } finally {
      a.close();
      b.close();
      await store.close();
    }
  });

  it('an index that cannot be written never fails or loses a stored line', async () => {
    const errors: unknown[] = [];
    const store = await FileStore.open(join(dir, 'other'));
    // The index path is a directory: every index update fails.
    const indexing = new IndexingStore(store, { path: join(dir, 'other'), onError: (e) => errors.push(e) });
    const init = await indexing.init('local', { provider: 'claude-code', external_id: 'x', transcript_path: '/t' });
    await indexing.appendChunk('local', { session_id: init.session_id, file_name: 't', file_type: 'transcript', first_line: 1, lines: ['{"a":1}'] });
    await indexing.flush();
    expect(errors.length).toBeGreaterThan(0);
    expect((await store.readFile(init.session_id, 't')).toString()).toBe('{"a":1}\n');
    await indexing.close();
  });
});

describe('search by session (the viewer list)', () => {
  it('ranks sessions by their best line and gives the best hit of each', async () => {
    const line = (text: string) => JSON.stringify({ type: 'user', timestamp: '2026-11-01T10:00:00Z', message: { role: 'user', content: text } });
    const filler = 'we looked at the build output and the linter and the formatter and the docs and the changelog for a while';
    const ids: string[] = [];
    for (const [i, lines] of [
      [line(`${filler} with a passing memoization remark`), line('nothing here')],
      [line('memoization memoization memoization'), line(`${filler} memoization`)],
      [line('no match at all')],
    ].entries()) {
      const s = await backend.init({ provider: 'claude-code', external_id: `s${i}`, transcript_path: `/s${i}` });
      ids.push(s.session_id);
      await upload(s.session_id, 't.jsonl', 'transcript', lines);
    }
    await flushIndex();
    const index = SearchIndex.open(indexPathFor(storeDir));
    try {
      expect(rankSessions(index.db, 'memoization')).toEqual([ids[1], ids[0]]);
      expect(rankSessions(index.db, 'memoization', 'someone-else')).toEqual([]);
      const hits = bestHits(index.db, 'memoization', [ids[1]!, ids[0]!]);
      expect(hits.get(ids[1]!)?.line).toBe(1);
      expect(hits.get(ids[0]!)?.line).toBe(1);
      expect(snippetRange(hits.get(ids[1]!)!.snippet)).toEqual({ text: 'memoization memoization memoization', matchStart: 0, matchEnd: 11 });
    } finally {
      index.close();
    }
  });
});

describe('recency-bounded ranking', () => {
  const line = (text: string) => JSON.stringify({ type: 'user', timestamp: '2026-11-01T10:00:00Z', message: { role: 'user', content: text } });
  const filler = 'we looked at the build output and the linter and the formatter and the docs and the changelog for a while';

  it('ranks the better-matching session first among the newest sessions; older matches follow, newest first', async () => {
    const ids: string[] = [];
    // Oldest first: one session beyond the ranked window, then RANK_SESSIONS sessions inside it.
    const texts = ['memoization memoization memoization', 'memoization memoization', ...Array.from({ length: RANK_SESSIONS - 1 }, (_, i) => `${filler} memoization aside ${i}`)];
    for (const [i, text] of texts.entries()) {
      const s = await backend.init({ provider: 'claude-code', external_id: `w${i}`, transcript_path: `/w${i}` });
      ids.push(s.session_id);
      await upload(s.session_id, 't.jsonl', 'transcript', [line(text)]);
    }
    await flushIndex();
    const all = query('memoization', { limit: 1000 });
    expect(all).toHaveLength(texts.length);
    // Inside the window the focused line beats every newer passing mention…
    expect(all[0]!.session_id).toBe(ids[1]);
    // …and the session past the window comes after it, however well it matches.
    expect(all[all.length - 1]!.session_id).toBe(ids[0]);
    // Paging walks the same order.
    expect([...query('memoization', { limit: 150 }), ...query('memoization', { limit: 150, offset: 150 })].map((h) => h.address)).toEqual(all.map((h) => h.address));
    const index = SearchIndex.open(indexPathFor(storeDir));
    try {
      const ranked = rankedSessions(index.db, 'memoization');
      expect(ranked.sessionIds).toHaveLength(texts.length);
      expect(ranked.sessionIds[0]).toBe(ids[1]);
      expect(ranked.sessionIds[ranked.sessionIds.length - 1]).toBe(ids[0]);
      const hits = ranked.hits([ids[0]!, ids[1]!]);
      expect(hits.get(ids[0]!)?.snippet).toContain('\u0002memoization\u0003');
      expect(hits.get(ids[1]!)?.line).toBe(1);
      // A session filter reads that session's entries alone, and finds the old one.
      expect(search(index.db, 'memoization', { sessionId: ids[0]! }).map((h) => h.session_id)).toEqual([ids[0]]);
    } finally {
      index.close();
    }
    // A rebuild indexes the least recent session first, so its window holds the same sessions.
    await indexStore(storeDir, { fresh: true });
    const rebuilt = query('memoization', { limit: 1000 });
    expect(rebuilt[0]!.session_id).toBe(ids[1]);
    expect(rebuilt[rebuilt.length - 1]!.session_id).toBe(ids[0]);
  });

  it('a session filter gives the hits of the whole index, in the same order, restricted to the session', async () => {
    const { claude, codex } = await seed();
    await flushIndex();
    for (const q of ['hello', 'echo', 'goodb*', '"sub-agent reported"']) {
      const all = query(q, { limit: 1000 });
      for (const id of [claude, codex]) {
        expect(query(q, { sessionId: id, limit: 1000 }).map((h) => h.address)).toEqual(all.filter((h) => h.session_id === id).map((h) => h.address));
      }
    }
  });

  it('a filtered query whose window fills leaves nothing open: the next query on the connection runs', async () => {
    const s = await backend.init({ provider: 'claude-code', external_id: 'big', transcript_path: '/big' });
    await upload(s.session_id, 't.jsonl', 'transcript', Array.from({ length: RANK_MATCHES + 1 }, (_, i) => line(`memoization note ${i}`)), 1000);
    await flushIndex();
    const index = SearchIndex.open(indexPathFor(storeDir));
    try {
      for (let run = 0; run < 2; run++) {
        expect(search(index.db, 'memoization', { sessionId: s.session_id, limit: 3 })).toHaveLength(3);
        expect(search(index.db, 'memoization', { sessionId: s.session_id, limit: 3, offset: RANK_MATCHES })).toHaveLength(1);
      }
    } finally {
      index.close();
    }
  });

  it('a prefix longer than the prefix indexes finds exactly the lines FTS5 matches it in, in every reading path', async () => {
    const texts = [
      'configure the build',
      'the confab daemon syncs',
      'CONFIG in capitals',
      'Çonfig with a cedilla',
      'e\u0301conf after a combining mark, in a console',
      'contains no such word',
      'deconfliction is not a prefix match',
      'x_conf after an underscore',
      'naïve confusion',
      '日本 conf語',
      'unrelated line',
    ];
    const s = await backend.init({ provider: 'claude-code', external_id: 'prefixes', transcript_path: '/p' });
    await upload(s.session_id, 't.jsonl', 'transcript', texts.map(line), 3);
    await flushIndex();
    const index = SearchIndex.open(indexPathFor(storeDir));
    try {
      for (const term of ['conf*', 'Conf*', 'confi*', 'conf* build']) {
        // FTS5's own answer for the term as typed (it merges every matching term's list).
        const fts = toFtsQuery(term);
        const expected = index.db
          .all(`SELECT e.line FROM entries_fts JOIN entries e ON e.id = entries_fts.rowid WHERE entries_fts MATCH ? ORDER BY e.line`, fts)
          .map((r) => Number(r.line));
        expect(expected.length, term).toBeGreaterThan(0);
        const lines = (hits: SearchHit[]) => hits.map((h) => h.line).sort((a, b) => a - b);
        expect(lines(search(index.db, term, { limit: 100 })), term).toEqual(expected);
        // The session filter reads session by session: the same lines.
        expect(lines(search(index.db, term, { limit: 100, sessionId: s.session_id })), term).toEqual(expected);
        // Every hit's snippet marks the word the prefix matched.
        for (const h of search(index.db, term, { limit: 100 })) expect(h.snippet, `${term} ${h.line}`).toContain(MATCH_START);
      }
    } finally {
      index.close();
    }
  });

  it('refuses a one-character prefix as too broad, in one clear line', async () => {
    await seed();
    await flushIndex();
    expect(() => query('h*')).toThrow(QuerySyntaxError);
    expect(() => query('hello h*')).toThrow(/"h\*" is too broad: a prefix needs at least 2 letters or digits/);
    expect(() => toFtsQuery('"goodbye w"*')).toThrow(/too broad/);
    expect(query('he*').length).toBeGreaterThan(0);
    expect(query('hel*').length).toBeGreaterThan(0);
  });

  it('a rebuilt index gives the same answers in the same order', async () => {
    const { claude } = await seed();
    await flushIndex();
    const queries = ['hello', '"from-subagent"', 'goodb*', 'echo', 'resumed session', 'he*'];
    const ordered = () => queries.map((q) => query(q, { limit: 100 }).map((h) => h.address));
    const before = ordered();
    const index = SearchIndex.open(indexPathFor(storeDir));
    const sessionsBefore = rankSessions(index.db, 'hello');
    index.close();
    await indexStore(storeDir, { fresh: true });
    expect(ordered()).toEqual(before);
    const again = SearchIndex.open(indexPathFor(storeDir));
    try {
      expect(rankSessions(again.db, 'hello')).toEqual(sessionsBefore);
      expect(sessionsBefore).toContain(claude);
    } finally {
      again.close();
    }
  });
});
