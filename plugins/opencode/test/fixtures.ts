/**
 * OpenCode databases built at test time, with the schema OpenCode 1.15 writes (the columns
 * confab reads, plus a few it does not), in WAL mode as OpenCode keeps it.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openDatabase, type SqliteDatabase } from 'confab-cli/provider';

export const ROOT_ID = 'ses_01JROOT0000000000000000';
export const CHILD_ID = 'ses_01JCHILD000000000000000';

const SCHEMA = `
CREATE TABLE session (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL DEFAULT 'prj', parent_id TEXT, slug TEXT NOT NULL DEFAULT '',
  directory TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', version TEXT NOT NULL DEFAULT '1.15.13',
  time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE message (
  id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL
);
CREATE TABLE part (
  id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL
);
CREATE INDEX message_session_idx ON message (session_id, time_created, id);
CREATE INDEX part_message_idx ON part (message_id, id);
CREATE INDEX part_session_idx ON part (session_id);
`;

/** A writable OpenCode database (the test plays OpenCode). */
export class OpencodeDb {
  readonly db: SqliteDatabase;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = openDatabase(path, { readOnly: false });
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  session(id: string, directory: string, parentId: string | null = null, timeCreated = 1_750_000_000_000): void {
    this.run('INSERT INTO session (id, parent_id, directory, time_created) VALUES (?, ?, ?, ?)', id, parentId, directory, timeCreated);
  }

  /** A message and its parts; `data` never holds the ids (they live in the columns). */
  message(sessionId: string, id: string, info: Record<string, unknown>, parts: [string, Record<string, unknown>][] = []): void {
    this.run('INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?, ?, 0, 0, ?)', id, sessionId, JSON.stringify(info));
    for (const [partId, data] of parts) this.part(sessionId, id, partId, data);
  }

  part(sessionId: string, messageId: string, id: string, data: Record<string, unknown>): void {
    this.run('INSERT INTO part (id, message_id, session_id, time_created, time_updated, data) VALUES (?, ?, ?, 0, 0, ?)', id, messageId, sessionId, JSON.stringify(data));
  }

  /** OpenCode finishing a streaming message. */
  update(messageId: string, info: Record<string, unknown>): void {
    this.run('UPDATE message SET data = ? WHERE id = ?', JSON.stringify(info), messageId);
  }

  close(): void {
    this.db.close();
  }

  private run(sql: string, ...params: (string | number | null)[]): void {
    this.db.run(sql, ...params);
  }
}

export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'confab-opencode-')), 'opencode', 'opencode.db');
}

export const userInfo = (created = 1_750_000_000_000) => ({ role: 'user', time: { created }, agent: 'build', model: { providerID: 'anthropic', modelID: 'claude-x' } });
export const assistantInfo = (parentID: string, finish: string | null = 'stop', created = 1_750_000_001_000) => ({
  role: 'assistant',
  parentID,
  providerID: 'anthropic',
  modelID: 'claude-x',
  mode: 'build',
  agent: 'build',
  path: { cwd: '/work/project', root: '/work/project' },
  time: finish ? { created, completed: created + 500 } : { created },
  cost: 0.01,
  tokens: { input: 10, output: 5, reasoning: 0, cache: { read: 0, write: 0 } },
  ...(finish ? { finish } : {}),
});
export const text = (t: string) => ({ type: 'text', text: t });
export const tool = (status: string) => ({ type: 'tool', tool: 'bash', callID: `call_${status}`, state: { status, input: { command: 'ls' }, output: 'a\nb', time: { start: 1, end: 2 } } });

/**
 * A root session (user message, a finished answer with a tool call, an answer still
 * streaming) and a child session (a sub-agent) with one exchange.
 */
export function buildSessionTree(oc: OpencodeDb, cwd = '/work/project'): void {
  oc.session(ROOT_ID, cwd);
  oc.message(ROOT_ID, 'msg_01', userInfo(), [['prt_01', text('fix the bug in <main> & tests')]]);
  oc.message(ROOT_ID, 'msg_02', assistantInfo('msg_01'), [
    ['prt_02', { type: 'step-start' }],
    ['prt_03', tool('completed')],
    ['prt_04', text('Fixed.')],
    ['prt_05', { type: 'step-finish', reason: 'stop', cost: 0, tokens: {}, snapshot: 'abc' }],
  ]);
  oc.session(CHILD_ID, cwd, ROOT_ID, 1_750_000_002_000);
  oc.message(CHILD_ID, 'msg_03', userInfo(1_750_000_002_000), [['prt_06', text('explore the repo')]]);
  oc.message(CHILD_ID, 'msg_04', assistantInfo('msg_03', 'stop', 1_750_000_003_000), [['prt_07', text('Explored.')]]);
  oc.message(ROOT_ID, 'msg_05', userInfo(1_750_000_004_000), [['prt_08', text('and the docs')]]);
  oc.message(ROOT_ID, 'msg_06', assistantInfo('msg_05', null, 1_750_000_005_000), [['prt_09', tool('running')], ['prt_10', text('Working')]]);
}
