import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { withLocalStore } from '../helpers/local-store.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

it('save --all saves sessions in parallel, each exactly once, line for line as on disk', async () => {
  const sbx = sandbox();
  const sessions = Array.from({ length: 7 }, (_, i) => {
    const s = new ReplayedClaudeSession(sbx.claudeDir, { sessionId: `${String(i).repeat(8)}-0000-4000-8000-00000000000${i}` });
    s.appendRest();
    return s;
  });
  const save = await sbx.run(['save', '--all', '--json']);
  expect(save.code).toBe(0);
  const summary = JSON.parse(save.stdout) as { sessions: number; uploaded: number; errors: number; results: { id: string }[] };
  expect(summary).toMatchObject({ sessions: 7, uploaded: 7, errors: 0 });
  expect(new Set(summary.results.map((r) => r.id)).size).toBe(7);

  const store = await FileStore.open(join(sbx.confabDir, 'store'));
  try {
    const stored = await store.listSessions();
    expect(stored.map((s) => s.external_id).sort()).toEqual(sessions.map((s) => s.sessionId).sort());
    for (const s of sessions) {
      const meta = stored.find((m) => m.external_id === s.sessionId)!;
      const name = basename(s.transcriptPath);
      const source = readFileSync(s.transcriptPath, 'utf8').split('\n').slice(0, -1);
      const copy = (await store.readFile(meta.session_id, name)).toString('utf8').split('\n').slice(0, -1);
      expect(copy).toHaveLength(source.length);
      expect(copy).toEqual(source);
    }
  } finally {
    await store.close();
  }
  const again = await sbx.run(['save', '--all', '--json']);
  expect(JSON.parse(again.stdout)).toMatchObject({ sessions: 7, uploaded: 0, upToDate: 7, errors: 0 });
});

it('save --all --jobs 2 saves in two worker processes: each session once, line for line, results in list order', async () => {
  const sbx = sandbox();
  const sessions = Array.from({ length: 5 }, (_, i) => {
    const s = new ReplayedClaudeSession(sbx.claudeDir, { sessionId: `${String(i).repeat(8)}-1111-4000-8000-00000000000${i}` });
    s.appendRest();
    return s;
  });
  const list = JSON.parse((await sbx.run(['list', '--json'])).stdout) as { sessions: { id: string }[] };
  const save = await sbx.run(['save', '--all', '--jobs', '2', '--json']);
  expect(save.code).toBe(0);
  const summary = JSON.parse(save.stdout) as { sessions: number; uploaded: number; errors: number; processes: number; results: { id: string }[] };
  expect(summary).toMatchObject({ sessions: 5, uploaded: 5, errors: 0, processes: 2 });
  expect(summary.results.map((r) => r.id)).toEqual(list.sessions.map((s) => s.id));
  for (const s of sessions) {
    const name = basename(s.transcriptPath);
    const source = readFileSync(s.transcriptPath, 'utf8').split('\n').slice(0, -1);
    const stored = await withLocalStore(sbx, async (store) => {
      const meta = (await store.listSessions()).find((m) => m.external_id === s.sessionId)!;
      return (await store.readFile(meta.session_id, name)).toString('utf8').split('\n').slice(0, -1);
    });
    expect(stored).toEqual(source);
  }
  // No worker is left behind, and a second run finds everything saved.
  expect(sbx.strayPids()).toEqual([]);
  const again = await sbx.run(['save', '--all', '--jobs', '2', '--json']);
  expect(JSON.parse(again.stdout)).toMatchObject({ sessions: 5, uploaded: 0, upToDate: 5, errors: 0 });
});
