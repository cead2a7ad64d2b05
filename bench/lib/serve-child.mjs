// A `confab serve` API server in its own process for benchmarks; prints {url, key} and
// serves until killed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { FileStore } = await import('../../dist/store/file-store.js');
const { KeyRing } = await import('../../dist/serve/keys.js');
const { createApiServer } = await import('../../dist/serve/api.js');

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'confab-bench-serve-'));
const store = await FileStore.open(dir);
const keys = await KeyRing.open(dir);
const { key } = await keys.create('bench');
const app = createApiServer({ store, keys, version: 'bench', limits: { global: false, upload: false } });
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${app.server.address().port}`, key, dir })}\n`);
process.on('SIGTERM', async () => {
  await app.close();
  await store.close();
  process.exit(0);
});
