import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { INLINE_INDEX_BYTES } from '../../src/cli/save-index.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { useSandbox, waitFor } from '../helpers/sandbox.js';

const sandbox = useSandbox();

/** Hits straight from the index file: no catch-up by a search in between. */
async function indexedHits(storeDir: string, word: string): Promise<string[]> {
  const { SearchIndex, indexPathFor } = await import('../../src/search/index-db.js');
  const { search } = await import('../../src/search/query.js');
  const index = SearchIndex.open(indexPathFor(storeDir));
  try {
    return search(index.db, word).map((h) => h.external_id);
  } finally {
    index.close();
  }
}

const pendingIn = (storeDir: string) => (existsSync(join(storeDir, 'index-pending')) ? readdirSync(join(storeDir, 'index-pending')) : []);

it('a small save is searchable when `confab save` returns', async () => {
  const sbx = sandbox();
  const s = new ReplayedClaudeSession(sbx.claudeDir);
  s.appendRest();
  appendFileSync(s.transcriptPath, `${JSON.stringify({ type: 'user', uuid: 'u-last', timestamp: '2026-12-01T10:00:00.000Z', message: { role: 'user', content: 'remember the quokkaphrase' } })}\n`);
  const save = await sbx.run(['save', s.sessionId, '--json']);
  expect(save.code).toBe(0);
  expect(JSON.parse(save.stdout)).toMatchObject({ uploaded: 1, searchIndex: 'indexed' });
  const storeDir = join(sbx.confabDir, 'store');
  expect(pendingIn(storeDir)).toEqual([]);
  expect(await indexedHits(storeDir, 'quokkaphrase')).toEqual([s.sessionId]);
});

it('a large save returns once stored, and a background `confab index update` indexes it', async () => {
  const sbx = sandbox();
  const s = new ReplayedClaudeSession(sbx.claudeDir);
  s.appendRest();
  // Past the inline threshold: many long tool results, then one line to look for.
  const filler = 'x'.repeat(64 * 1024);
  const lines: string[] = [];
  for (let i = 0, bytes = 0; bytes <= INLINE_INDEX_BYTES; i++) {
    const line = JSON.stringify({ type: 'user', uuid: `f${i}`, timestamp: '2026-12-01T10:00:00.000Z', message: { role: 'user', content: `filler ${i} ${filler}` } });
    lines.push(line);
    bytes += line.length + 1;
  }
  lines.push(JSON.stringify({ type: 'user', uuid: 'u-last', timestamp: '2026-12-01T10:05:00.000Z', message: { role: 'user', content: 'the wombatword at the end' } }));
  appendFileSync(s.transcriptPath, `${lines.join('\n')}\n`);

  const save = await sbx.run(['save', s.sessionId]);
  expect(save.code).toBe(0);
  expect(save.stderr).toContain('The search index is being updated in the background');
  // Stored, not yet indexed: the session is pending until the background update ends, on its own.
  const storeDir = join(sbx.confabDir, 'store');
  await waitFor(() => pendingIn(storeDir).length === 0 && !existsSync(join(storeDir, 'index-pending.lock')));
  expect(await indexedHits(storeDir, 'wombatword')).toEqual([s.sessionId]);
  const update = await sbx.run(['index', 'update', '--json']);
  expect(update.code).toBe(0);
  expect(JSON.parse(update.stdout)).toMatchObject({ lines: 0 });
});
