#!/usr/bin/env node
// Time from appending a line to a session's transcript until the backend holds it, with the
// default 30 s interval: the daemon must be woken by its file watcher, not the interval. The
// backend is a real HTTP server (confab's confab-web compatible API over a FileStore, with an
// API key), the daemon is started and stopped by the real hook commands. The Go CLI syncs
// only on its interval, so a line waits for the next tick: half the interval on average.
// Usage: node bench/sync-latency.mjs [--appends N] [--gap-ms MS] [--write]   (after npm run build)
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiServer } from '../dist/serve/api.js';
import { KeyRing } from '../dist/serve/keys.js';
import { FileStore } from '../dist/store/file-store.js';
import { isAlive, median, percentile, timingEnv } from './lib/startup.mjs';
import { machineLine, publish, table } from './lib/report.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const appends = arg('--appends', 50);
// Above confab-web's 1 s minimum spacing between two chunks of a file: one line, one chunk.
const gapMs = arg('--gap-ms', 1500);
const GO_INTERVAL_MS = 30_000;

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const fixture = fileURLToPath(new URL('../test/fixtures/claude-code-real/2.1.332/project-dir/958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl', import.meta.url));
const sourceLines = readFileSync(fixture, 'utf8').split('\n').filter(Boolean);

const root = mkdtempSync(join(tmpdir(), 'confab-bench-latency-'));
const home = join(root, 'home');
const project = join(home, '.claude', 'projects', '-work-app');
mkdirSync(project, { recursive: true });

const store = await FileStore.open(join(root, 'server-store'));
const keys = await KeyRing.open(join(root, 'server-store'));
const { key } = await keys.create('bench');

// Watch commits as they happen: resolve a waiter the moment the store holds line `n`.
const waiters = [];
let held = 0;
const observed = new Proxy(store, {
  get(target, prop) {
    if (prop === 'appendChunk') {
      return async (owner, req) => {
        const res = await target.appendChunk(owner, req);
        if (req.file_type === 'transcript') {
          held = Math.max(held, res.last_synced_line);
          for (const w of [...waiters]) if (held >= w.line) w.resolve(performance.now());
        }
        return res;
      };
    }
    const v = Reflect.get(target, prop);
    return typeof v === 'function' ? v.bind(target) : v;
  },
});
const untilHeld = (line, timeoutMs = 60_000) =>
  new Promise((resolve, reject) => {
    if (held >= line) return resolve(performance.now());
    const timer = setTimeout(() => reject(new Error(`line ${line} never reached the server`)), timeoutMs);
    waiters.push({
      line,
      resolve: (t) => {
        clearTimeout(timer);
        waiters.splice(waiters.findIndex((w) => w.line === line), 1);
        resolve(t);
      },
    });
  });

const app = createApiServer({ store: observed, keys, version: 'bench', limits: { global: false } });
await app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${app.server.address().port}`;

// The default interval and jitter: nothing CONFAB_SYNC_* set.
const env = timingEnv({ HOME: home, CONFAB_BACKEND_URL: url, CONFAB_API_KEY: key });
for (const k of Object.keys(env)) if (k.startsWith('CONFAB_') && !['CONFAB_BACKEND_URL', 'CONFAB_API_KEY'].includes(k)) delete env[k];

const sessionId = '5e1a7e9c-0b4c-4f0e-9a39-3f2a1c0d9e11';
const transcript = join(project, `${sessionId}.jsonl`);
const payload = (event) => JSON.stringify({ session_id: sessionId, transcript_path: transcript, cwd: '/work/app', hook_event_name: event, source: 'startup', reason: 'other' });
// Asynchronous, so this process keeps serving the daemon's requests meanwhile.
const hook = (event, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'hook', event], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(input);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`hook ${event} exited ${code}`))));
  });
const statePath = join(home, '.confab', 'sync', 'claude-code', `${sessionId}.json`);
let daemonPid;

const line = (i) => sourceLines[i % sourceLines.length].replace(/"uuid":"[^"]+"/, `"uuid":"bench-${i}"`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  writeFileSync(transcript, `${line(0)}\n`);
  await hook('session-start', payload('SessionStart'));
  daemonPid = JSON.parse(readFileSync(statePath, 'utf8')).pid;
  await untilHeld(1, 20_000);
  await sleep(gapMs);

  const samples = [];
  for (let i = 1; i <= appends; i++) {
    const t0 = performance.now();
    appendFileSync(transcript, `${line(i)}\n`);
    const t1 = await untilHeld(i + 1);
    samples.push(t1 - t0);
    process.stderr.write(`\r${i}/${appends}: ${(t1 - t0).toFixed(0)} ms   `);
    await sleep(gapMs + Math.random() * 250);
  }
  process.stderr.write('\n');
  // Session end until the daemon has done its final sync, sent session_end and exited.
  const endAt = performance.now();
  await hook('session-end', payload('SessionEnd'));
  for (let i = 0; i < 1000 && isAlive(daemonPid); i++) await sleep(10);
  const exitMs = performance.now() - endAt;

  const med = median(samples);
  const p95 = percentile(samples, 95);
  const rows = [
    ['median', `${med.toFixed(0)} ms`, `${(GO_INTERVAL_MS / 2 / 1000).toFixed(0)} s`, `${(GO_INTERVAL_MS / 2 / med).toFixed(0)}×`],
    ['p95', `${p95.toFixed(0)} ms`, `${((GO_INTERVAL_MS * 0.95) / 1000).toFixed(1)} s`, `${((GO_INTERVAL_MS * 0.95) / p95).toFixed(0)}×`],
    ['max', `${Math.max(...samples).toFixed(0)} ms`, `${GO_INTERVAL_MS / 1000} s`, ''],
    ['session-end hook → daemon exited', `${exitMs.toFixed(0)} ms`, '', ''],
  ];
  publish(
    'sync-latency',
    `### Sync latency (\`bench/sync-latency.mjs\`)\n\n${machineLine()}. Append one transcript line, then time until the server holds it; ${appends} appends about ${(gapMs / 1000).toFixed(1)} s apart, default 30 s interval (the file watcher wakes the daemon), HTTP backend (\`confab serve\`'s API over a FileStore, with an API key), daemon started and stopped by the real hooks. The Go CLI only syncs on its 30 s tick, so a line waits for it: uniform over [0, 30 s], half the interval on average. Target: median under 1 s.\n\n${table(['', 'confab', 'Go CLI (expected)', 'faster'], rows)}\n`,
  );
} finally {
  await app.close();
  await store.close();
  // The daemon exits after session-end; if this run failed before that, stop it here.
  if (daemonPid && isAlive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
}
