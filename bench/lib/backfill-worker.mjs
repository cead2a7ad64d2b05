// Child process for bench/backfill.mjs: one backfill of a transcript to a backend, then
// report wall time and this process's peak RSS (the client's memory, not the server's).
import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

const [transcript, kind, target, apiKey] = process.argv.slice(2);
const { SyncEngine } = await import('../../dist/sync/engine.js');
const { createSyncHooks } = await import('../../dist/extension/daemon-hooks.js');
const backend =
  kind === 'http'
    ? new (await import('../../dist/backend/http.js')).HttpBackend({ url: target, apiKey })
    : await (await import('../../dist/backend/local.js')).openLocalBackend(target);
const hooks = createSyncHooks();
const engine = new SyncEngine({ backend, hooks, session: { provider: 'claude-code', externalId: `bench-${process.pid}`, transcriptPath: transcript, cwd: dirname(transcript) } });
const t0 = performance.now();
let chunks = 0;
for (let i = 0; i < 1000; i++) {
  const r = await engine.syncAll('once');
  chunks += r.files.reduce((n, f) => n + f.chunks, 0);
  if (r.complete) break;
}
const ms = performance.now() - t0;
await backend.close();
process.stdout.write(JSON.stringify({ ms, chunks, maxRssMiB: process.resourceUsage().maxRSS / 1024, file: basename(transcript) }));
