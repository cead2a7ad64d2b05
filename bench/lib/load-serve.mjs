// The `confab serve` API (the same store, key ring and server code as the command) in its own
// process, for the load benchmark: it times every line it commits against the append time the
// benchmark wrote into the line (`"bench_t":<epoch ms>`), so append→stored latency is
// measured where the line becomes durable. Prints {url, key, dir}; then on stdin:
//   reset   forget the latencies so far
//   report  print {lines, chunks, p50, p95, max, rateLimited} as one JSON line
//   node bench/lib/load-serve.mjs <dir> <off|sustained>
// `sustained`: confab-web's per-user upload rate (2.78/s) with its burst already spent, as for
// a user whose sessions have been busy for a while (the burst of 2000 lasts minutes).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const { FileStore } = await import('../../dist/store/file-store.js');
const { KeyRing } = await import('../../dist/serve/keys.js');
const { createApiServer } = await import('../../dist/serve/api.js');

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'confab-bench-load-'));
const limits = process.argv[3] === 'sustained' ? { upload: { ratePerSec: 2.78, burst: 3 } } : { global: false, upload: false };
const store = await FileStore.open(dir);
const keys = await KeyRing.open(dir);
const { key } = await keys.create('load');

let latencies = [];
let chunks = 0;
let rateLimited = 0;
const MARK = /"bench_t":(\d+)/;
const append = store.appendChunk.bind(store);
store.appendChunk = async (owner, req) => {
  const res = await append(owner, req);
  const now = Date.now();
  chunks++;
  for (const line of req.lines) {
    const m = MARK.exec(line);
    if (m) latencies.push(now - Number(m[1]));
  }
  return res;
};

const app = createApiServer({ store, keys, version: 'bench', limits });
app.addHook('onResponse', async (_req, reply) => {
  if (reply.statusCode === 429) rateLimited++;
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${app.server.address().port}`, key, dir })}\n`);

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN);
createInterface({ input: process.stdin }).on('line', (cmd) => {
  if (cmd === 'reset') {
    latencies = [];
    chunks = 0;
    rateLimited = 0;
  } else if (cmd === 'report') {
    const s = [...latencies].sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({ lines: s.length, chunks, p50: pct(s, 50), p95: pct(s, 95), max: s[s.length - 1] ?? NaN, rateLimited })}\n`);
  }
});
process.on('SIGTERM', async () => {
  await app.close();
  await store.close();
  process.exit(0);
});
