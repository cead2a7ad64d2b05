#!/usr/bin/env node
// Backfill throughput: a ~200 MB synthetic transcript uploaded from scratch to the embedded
// store and to a local HTTP server (confab serve's API), as ratios to `cat file > /dev/null`
// and `zstd -1 -c file > /dev/null` timed in the same run, plus the client's peak RSS.
//   node bench/backfill.mjs [--mb 200] [--write]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { machineLine, publish, table } from './lib/report.mjs';
import { generateTranscript } from './lib/transcript.mjs';

const mbArg = process.argv.indexOf('--mb');
const mb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 200;
const root = mkdtempSync(join(tmpdir(), 'confab-bench-backfill-'));
const transcript = join(root, 'session.jsonl');
const generated = generateTranscript({ bytes: mb * 1024 * 1024 });
writeFileSync(transcript, `${generated.join('\n')}\n`);
const lines = generated.length;
generated.length = 0;
const size = statSync(transcript).size;

function timeShell(cmd) {
  const t0 = performance.now();
  execFileSync('/bin/sh', ['-c', cmd], { stdio: 'ignore' });
  return performance.now() - t0;
}

/** Run the upload in a child (async: the HTTP server lives in this process's event loop). */
function backfill(kind, target, key = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('./lib/backfill-worker.mjs', import.meta.url).pathname, transcript, kind, target, key], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(err))));
  });
}

const { FileStore } = await import('../dist/store/file-store.js');
const { KeyRing } = await import('../dist/serve/keys.js');
const { createApiServer } = await import('../dist/serve/api.js');

try {
  timeShell(`cat ${transcript} > /dev/null`); // warm the page cache
  const cat = timeShell(`cat ${transcript} > /dev/null`);
  const zstd = timeShell(`zstd -1 -c ${transcript} > /dev/null`);
  const local = await backfill('local', join(root, 'local-store'));

  const serveDir = join(root, 'serve-store');
  const store = await FileStore.open(serveDir);
  const keys = await KeyRing.open(serveDir);
  const { key } = await keys.create('bench');
  const app = createApiServer({ store, keys, version: 'bench', limits: { global: false, upload: false } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${app.server.address().port}`;
  let http;
  try {
    http = await backfill('http', url, key);
  } finally {
    await app.close();
    await store.close();
  }
  const mbps = (ms) => (size / 1024 / 1024 / (ms / 1000)).toFixed(1);
  const rows = [
    ['`cat file > /dev/null`', `${cat.toFixed(0)} ms`, mbps(cat), '1.0×', '—', '—'],
    ['`zstd -1 -c file > /dev/null`', `${zstd.toFixed(0)} ms`, mbps(zstd), `${(zstd / cat).toFixed(1)}×`, '—', '—'],
    ['backfill → embedded store', `${local.ms.toFixed(0)} ms`, mbps(local.ms), `${(local.ms / cat).toFixed(1)}×`, String(local.chunks), `${local.maxRssMiB.toFixed(0)} MiB`],
    ['backfill → HTTP (confab serve API, zstd)', `${http.ms.toFixed(0)} ms`, mbps(http.ms), `${(http.ms / cat).toFixed(1)}×`, String(http.chunks), `${http.maxRssMiB.toFixed(0)} MiB`],
  ];
  publish(
    'backfill',
    `### Backfill throughput (\`bench/backfill.mjs\`)\n\n${machineLine()}; a ${(size / 1024 / 1024).toFixed(0)} MiB synthetic transcript (${lines} lines), uploaded from scratch; redaction off (see the redaction benchmark). Time ratios are to \`cat\` in the same run; the backfill against \`zstd -1\`: embedded ${(local.ms / zstd).toFixed(1)}×, HTTP ${(http.ms / zstd).toFixed(1)}×. Peak RSS is the uploading process's (limit: 200 MB).\n\n${table(['what', 'time', 'MiB/s', 'vs cat', 'chunks', 'peak RSS'], rows)}\n`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
