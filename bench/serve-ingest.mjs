#!/usr/bin/env node
// `confab serve` ingest: 8 sessions uploading concurrently (one request in flight each, as
// daemons do) to the API server in another process; chunks/s, MB/s and chunk latency,
// against a single session measured in the same run.
//   node bench/serve-ingest.mjs [--chunks 150] [--write]
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { machineLine, publish, table } from './lib/report.mjs';
import { percentile, median } from './lib/startup.mjs';
import { generateTranscript } from './lib/transcript.mjs';

const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const chunksPerSession = arg('--chunks', 150);
const LINES_PER_CHUNK = 40;
const { HttpBackend } = await import('../dist/backend/http.js');

const pool = generateTranscript({ bytes: 8 * 1024 * 1024 });

async function startServer() {
  const child = spawn(process.execPath, [...(process.env.SERVE_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/sprof'] : []), new URL('./lib/serve-child.mjs', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out));
    });
  });
  return { ...info, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

async function upload(server, sessions) {
  const latencies = [];
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, async (_, s) => {
      const backend = new HttpBackend({ url: server.url, apiKey: server.key });
      const init = await backend.init({ provider: 'claude-code', external_id: `bench-${s}-${Date.now()}`, transcript_path: '/bench.jsonl', metadata: { cwd: '/bench' } });
      let next = 1;
      for (let c = 0; c < chunksPerSession; c++) {
        const lines = Array.from({ length: LINES_PER_CHUNK }, (_, i) => pool[(s * 7919 + c * LINES_PER_CHUNK + i) % pool.length]);
        bytes += lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
        const t = performance.now();
        const res = await backend.chunk({ session_id: init.session_id, file_name: 'bench.jsonl', file_type: 'transcript', first_line: next, lines });
        latencies.push(performance.now() - t);
        next = res.last_synced_line + 1;
      }
      await backend.close();
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { chunksPerSec: (sessions * chunksPerSession) / secs, mbPerSec: bytes / 1024 / 1024 / secs, p50: median(latencies), p95: percentile(latencies, 95) };
}

const server = await startServer();
try {
  await upload(server, 1); // warm-up (WASM, JIT, page cache)
  const one = await upload(server, 1);
  const eight = await upload(server, 8);
  const row = (name, r) => [name, r.chunksPerSec.toFixed(0), r.mbPerSec.toFixed(1), `${r.p50.toFixed(1)} ms`, `${r.p95.toFixed(1)} ms`];
  publish(
    'serve-ingest',
    `### confab serve ingest (\`bench/serve-ingest.mjs\`)\n\n${machineLine()}; each session sends ${chunksPerSession} chunks of ${LINES_PER_CHUNK} transcript lines (~${((8 * 1024 * 1024) / pool.length * LINES_PER_CHUNK / 1024).toFixed(0)} KiB, zstd) one at a time; every chunk is fsynced before it is acknowledged.\n\n${table(['sessions', 'chunks/s', 'MiB/s', 'p50 chunk latency', 'p95 chunk latency'], [row('1', one), row('8 concurrent', eight)])}\n\n8 sessions reach ${(eight.chunksPerSec / one.chunksPerSec).toFixed(2)}× the chunk rate of one.\n`,
  );
} finally {
  await server.stop();
  rmSync(server.dir, { recursive: true, force: true });
}
