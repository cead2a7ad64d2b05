import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { FileType } from '../../src/format/wire.js';
import { openLocalBackend } from '../../src/backend/local.js';
import { openDatabase, sqliteBackend } from '../../src/sqlite/database.js';
import { REPO_ROOT, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();
const CC = join(REPO_ROOT, 'test/fixtures/claude-code-real/2.1.332/project-dir');
const nodeSqliteHere = (() => {
  const prev = process.env.CONFAB_SQLITE;
  process.env.CONFAB_SQLITE = 'node:sqlite';
  try {
    return 'backend' in sqliteBackend();
  } finally {
    if (prev === undefined) delete process.env.CONFAB_SQLITE;
    else process.env.CONFAB_SQLITE = prev;
  }
})();

/** A store with the recorded Claude Code session (main transcript and its sub-agent), written before any index existed. */
async function seedStore(storeDir: string): Promise<string> {
  const backend = await openLocalBackend(storeDir);
  try {
    const init = await backend.init({ provider: 'claude-code', external_id: '958a0291', transcript_path: '/gone.jsonl', metadata: { cwd: '/w/shop' } });
    const put = async (name: string, type: FileType, path: string) => {
      const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
      await backend.chunk({ session_id: init.session_id, file_name: name, file_type: type, first_line: 1, lines });
    };
    await put('main.jsonl', 'transcript', join(CC, '958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl'));
    await put('subagents/agent-aa.jsonl', 'agent', join(CC, '958a0291-14d6-41d4-abad-e3757ff1ad70/subagents/agent-aa8934ac9a2623aee.jsonl'));
    return init.session_id;
  } finally {
    await backend.close();
  }
}

it('confab search: hits with addresses and marked snippets; --json; filters; rebuild with progress', async () => {
  const sb = sandbox();
  const storeDir = join(sb.confabDir, 'store');
  const id = await seedStore(storeDir);
  const env = { CONFAB_STORE_DIR: storeDir };

  const text = await sb.run(['search', 'from-subagent', '--role', 'tool'], { env });
  expect(text.stderr).toBe('');
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(`${id}:subagents/agent-aa.jsonl:`);
  expect(text.stdout).toContain('«from-subagent»');

  const json = await sb.run(['search', '"sub-agent reported back"', '--json', '--provider', 'claude-code', '--project', 'shop'], { env });
  expect(json.code).toBe(0);
  const out = JSON.parse(json.stdout) as { hits: { address: string; role: string; session_id: string; snippet: string }[] };
  expect(out.hits.length).toBeGreaterThan(0);
  expect(out.hits[0]!.session_id).toBe(id);
  expect(out.hits[0]!.address).toMatch(new RegExp(`^${id}:main\\.jsonl:\\d+$`));
  expect(out.hits[0]!.snippet).toContain('«sub-agent reported back»');

  expect(JSON.parse((await sb.run(['search', 'from-subagent', '--json', '--provider', 'codex'], { env })).stdout)).toEqual({ query: 'from-subagent', hits: [] });

  const rebuild = await sb.run(['index', 'rebuild', '--json'], { env });
  expect(rebuild.code).toBe(0);
  expect(rebuild.stderr).toMatch(/^indexing: 1\/1 sessions, /m);
  const summary = JSON.parse(rebuild.stdout) as { sessions: number; lines: number; failed: number };
  expect(summary).toMatchObject({ sessions: 1, lines: 65 + 25, failed: 0 });
  expect((await sb.run(['search', 'from-subagent', '--role', 'tool'], { env })).stdout).toBe(text.stdout);
});

it('bad query syntax and bad flags are one clear line and a non-zero exit', async () => {
  const sb = sandbox();
  const env = { CONFAB_STORE_DIR: join(sb.confabDir, 'store') };
  const bad = await sb.run(['search', '"unterminated phrase'], { env });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe('Error: bad query: unterminated phrase: "unterminated phrase (close it with ")\n');
  const since = await sb.run(['search', 'x', '--since', 'yesterday'], { env });
  expect(since.code).toBe(2);
  expect(since.stderr.trim().split('\n')).toHaveLength(1);
  expect(since.stderr).toContain('invalid --since "yesterday"');
});

it.skipIf(nodeSqliteHere)('without SQLite, confab search says so in one line and exits non-zero', async () => {
  const sb = sandbox();
  // This Node has no node:sqlite; forcing it stands for a runtime with neither implementation.
  const res = await sb.run(['search', 'hello'], { env: { CONFAB_STORE_DIR: join(sb.confabDir, 'store'), CONFAB_SQLITE: 'node:sqlite' } });
  expect(res.code).toBe(1);
  expect(res.stdout).toBe('');
  expect(res.stderr.trim().split('\n')).toHaveLength(1);
  expect(res.stderr).toMatch(/^Error: SQLite is not available: confab needs Node 22\.13\+ \(node:sqlite\) or the better-sqlite3 package/);
});

for (const backend of ['node:sqlite', 'better-sqlite3'] as const) {
  const available = (() => {
    const prev = process.env.CONFAB_SQLITE;
    process.env.CONFAB_SQLITE = backend;
    try {
      return 'backend' in sqliteBackend();
    } finally {
      if (prev === undefined) delete process.env.CONFAB_SQLITE;
      else process.env.CONFAB_SQLITE = prev;
    }
  })();
  it.skipIf(!available)(`the SQLite adapter over ${backend}: statements, transactions, FTS5`, () => {
    process.env.CONFAB_SQLITE = backend;
    try {
      const db = openDatabase(':memory:');
      expect(db.backend).toBe(backend);
      db.exec('CREATE TABLE t(a INTEGER, b TEXT); CREATE VIRTUAL TABLE f USING fts5(x)');
      db.transaction(() => db.run('INSERT INTO t VALUES (?, ?)', 1, 'one'));
      expect(() =>
        db.transaction(() => {
          db.run('INSERT INTO t VALUES (?, ?)', 2, 'two');
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      expect(db.all('SELECT a, b FROM t')).toEqual([{ a: 1, b: 'one' }]);
      expect(db.run('INSERT INTO f(x) VALUES (?)', 'the quick brown fox').changes).toBe(1);
      expect(db.get("SELECT highlight(f, 0, '[', ']') AS h FROM f WHERE f MATCH 'qui*'")).toEqual({ h: 'the [quick] brown fox' });
      db.close();
    } finally {
      delete process.env.CONFAB_SQLITE;
    }
  });
}

it('confab session show opens a search hit at its address', async () => {
  const sb = sandbox();
  const storeDir = join(sb.confabDir, 'store');
  const id = await seedStore(storeDir);
  const env = { CONFAB_STORE_DIR: storeDir };
  const hit = (JSON.parse((await sb.run(['search', 'from-subagent', '--role', 'tool', '--json'], { env })).stdout) as { hits: { address: string }[] }).hits[0]!;
  const line = Number(hit.address.split(':').pop());
  const stored = readFileSync(join(CC, '958a0291-14d6-41d4-abad-e3757ff1ad70/subagents/agent-aa8934ac9a2623aee.jsonl'), 'utf8').split('\n')[line - 1];
  const shown = await sb.run(['session', 'show', hit.address], { env });
  expect(shown.stderr).toBe('');
  expect(shown.stdout).toBe(`${stored}\n`);
  const around = await sb.run(['session', 'show', hit.address, '--context', '1', '--json'], { env });
  expect(JSON.parse(around.stdout)).toMatchObject({ session_id: id, file_name: 'subagents/agent-aa.jsonl', first_line: line - 1 });
  expect((JSON.parse(around.stdout) as { lines: string[] }).lines[1]).toBe(stored);
  const past = await sb.run(['session', 'show', `${id}:main.jsonl:9999`], { env });
  expect(past.code).toBe(1);
  expect(past.stderr).toBe(`Error: main.jsonl of session ${id} has 65 lines, not 9999\n`);
});
