import { createRequire } from 'node:module';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { materializeSession } from '../src/materialize.js';
import { descendants, messagesOf, rootOf, withOpencodeDb } from '../src/opencode-db.js';
import { openDatabase, sqliteBackend } from 'confab-cli/provider';
import { assistantInfo, buildSessionTree, CHILD_ID, OpencodeDb, ROOT_ID, tempDbPath, text, userInfo } from './fixtures.js';

const open: OpencodeDb[] = [];
function fixture(): OpencodeDb {
  const oc = new OpencodeDb(tempDbPath());
  open.push(oc);
  buildSessionTree(oc);
  return oc;
}
afterEach(() => {
  for (const oc of open.splice(0)) oc.close();
});

const outFile = () => join(mkdtempSync(join(tmpdir(), 'confab-oc-out-')), 'ses', 'messages.jsonl');
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { info: Record<string, unknown>; parts: Record<string, unknown>[] });

describe('OpenCode messages as lines', () => {
  it('writes one {info, parts} line per finished message, ids put back, and stops at the first unfinished one', () => {
    const oc = fixture();
    const out = outFile();
    expect(withOpencodeDb((db) => materializeSession(db, ROOT_ID, out), oc.path)).toBe(3);
    const got = lines(out);
    expect(got.map((l) => l.info.id)).toEqual(['msg_01', 'msg_02', 'msg_05']);
    expect(got[0]).toEqual({
      info: { ...userInfo(), id: 'msg_01', sessionID: ROOT_ID },
      parts: [{ ...text('fix the bug in <main> & tests'), id: 'prt_01', sessionID: ROOT_ID, messageID: 'msg_01' }],
    });
    expect(got[1]?.parts.map((p) => p.id)).toEqual(['prt_02', 'prt_03', 'prt_04', 'prt_05']);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, '..')).mode & 0o777).toBe(0o700);
  });

  it('appends a message once it finishes, leaves out tool calls that never settled, and never repeats a line', () => {
    const oc = fixture();
    const out = outFile();
    withOpencodeDb((db) => materializeSession(db, ROOT_ID, out), oc.path);
    expect(withOpencodeDb((db) => materializeSession(db, ROOT_ID, out), oc.path)).toBe(0);
    oc.update('msg_06', assistantInfo('msg_05', 'stop', 1_750_000_005_000));
    oc.message(ROOT_ID, 'msg_07', userInfo(1_750_000_006_000), [['prt_11', text('thanks')]]);
    expect(withOpencodeDb((db) => materializeSession(db, ROOT_ID, out), oc.path)).toBe(2);
    const got = lines(out);
    expect(got.map((l) => l.info.id)).toEqual(['msg_01', 'msg_02', 'msg_05', 'msg_06', 'msg_07']);
    // The tool part still "running" when its message settled is dropped; the text stays.
    expect(got[3]?.parts.map((p) => p.id)).toEqual(['prt_10']);
  });

  it('an assistant message that failed is finished too', () => {
    const oc = new OpencodeDb(tempDbPath());
    open.push(oc);
    oc.session(ROOT_ID, '/p');
    oc.message(ROOT_ID, 'msg_01', userInfo(), [['prt_01', text('hi')]]);
    oc.message(ROOT_ID, 'msg_02', { ...assistantInfo('msg_01', null), error: { name: 'APIError', data: {} } });
    const out = outFile();
    withOpencodeDb((db) => materializeSession(db, ROOT_ID, out), oc.path);
    expect(lines(out).map((l) => l.info.id)).toEqual(['msg_01', 'msg_02']);
    expect(lines(out)[1]?.parts).toEqual([]);
  });

  it('after a crash mid-write, cuts the partial last line and writes the message again whole', () => {
    const oc = fixture();
    const out = outFile();
    withOpencodeDb((db) => materializeSession(db, ROOT_ID, out), oc.path);
    const before = readFileSync(out, 'utf8');
    oc.update('msg_06', assistantInfo('msg_05', 'stop', 1_750_000_005_000));
    appendFileSync(out, '{"info":{"id":"msg_06","ro');
    withOpencodeDb((db) => materializeSession(db, ROOT_ID, out), oc.path);
    const after = readFileSync(out, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(lines(out).map((l) => l.info.id)).toEqual(['msg_01', 'msg_02', 'msg_05', 'msg_06']);
  });

  it('creates no file while the session has no finished message', () => {
    const oc = new OpencodeDb(tempDbPath());
    open.push(oc);
    oc.session(ROOT_ID, '/p');
    const out = outFile();
    expect(withOpencodeDb((db) => materializeSession(db, ROOT_ID, out), oc.path)).toBe(0);
    expect(existsSync(out)).toBe(false);
  });

  it('finds child sessions and walks up to the root', () => {
    const oc = fixture();
    oc.session('ses_01JGRANDCHILD00000000000', '/p', CHILD_ID, 5);
    withOpencodeDb((db) => {
      expect(descendants(db, ROOT_ID).map((s) => s.id)).toEqual([CHILD_ID, 'ses_01JGRANDCHILD00000000000']);
      expect(rootOf(db, 'ses_01JGRANDCHILD00000000000')?.id).toBe(ROOT_ID);
      expect(messagesOf(db, CHILD_ID).map((m) => m.id)).toEqual(['msg_03', 'msg_04']);
    }, oc.path);
  });
});

describe('reading the database OpenCode is writing', () => {
  it('never waits for OpenCode: reads what is committed while OpenCode holds a write transaction, and leaves its WAL alone', () => {
    const oc = fixture();
    const wal = `${oc.path}-wal`;
    const walBefore = readFileSync(wal);
    const mainBefore = readFileSync(oc.path);
    oc.db.exec('BEGIN IMMEDIATE');
    oc.db.run("INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES ('msg_00', ?, 0, 0, '{\"role\":\"user\"}')", ROOT_ID);
    const out = outFile();
    // A reader that took a lock would fail here (busy) after the timeout, or see the uncommitted row.
    const reader = openDatabase(oc.path, { readOnly: true, busyTimeoutMs: 0 });
    try {
      expect(materializeSession(reader, ROOT_ID, out)).toBe(3);
      oc.db.exec('ROLLBACK');
      // Even with no one else writing, this connection cannot write.
      expect(() => reader.exec('CREATE TABLE confab_probe (x)')).toThrow(/readonly|read-only|query_only/i);
    } finally {
      reader.close();
    }
    expect(lines(out).map((l) => l.info.id)).toEqual(['msg_01', 'msg_02', 'msg_05']);
    // No checkpoint: the writer's WAL and the main file are as OpenCode left them.
    expect(readFileSync(wal).equals(walBefore)).toBe(true);
    expect(readFileSync(oc.path).equals(mainBefore)).toBe(true);
  });

  it('uses node:sqlite where the runtime has it, and then never loads better-sqlite3', () => {
    const oc = fixture();
    withOpencodeDb((db) => messagesOf(db, ROOT_ID), oc.path);
    const hasNodeSqlite = (() => {
      try {
        return typeof (process.getBuiltinModule?.('node:sqlite') as { DatabaseSync?: unknown } | undefined)?.DatabaseSync === 'function';
      } catch {
        return false;
      }
    })();
    expect(sqliteBackend()).toEqual({ backend: hasNodeSqlite ? 'node:sqlite' : 'better-sqlite3' });
    const require = createRequire(import.meta.url);
    const loaded = Object.keys(require.cache).some((k) => k.includes(`${'/'}better-sqlite3${'/'}`));
    expect(loaded).toBe(!hasNodeSqlite);
  });
});
