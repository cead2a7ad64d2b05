#!/usr/bin/env node
// Backfill throughput: `confab save` of a ~200 MB synthetic Claude Code transcript (default
// config: redaction on) into the embedded store and over HTTP to `confab serve` (zstd bodies),
// as throughput ratios to a bare Node pass that reads the same file and JSON.parses every line,
// timed in the same run (ratio = baseline time / our time: 1.0× is parse speed). Each figure is
// the median of --runs runs; CPU time (user+sys, children included) is given beside wall time.
//   node bench/backfill.mjs [--mb 200] [--runs 1] [--write]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fakeSecrets } from './lib/fake-secrets.mjs';
import { loadLine, machineLine, publish, table } from './lib/report.mjs';
import { median, timingEnv } from './lib/startup.mjs';
import { generateTranscript } from './lib/transcript.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const mb = arg('--mb', 200);
const runs = arg('--runs', 1);
const bin = new URL('../bin/run.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'confab-bench-backfill-'));
const home = join(root, 'home');
const sessionId = '0b4c7f5e-1111-4222-8333-444455556666';
const projectDir = join(home, '.claude', 'projects', '-home-dev-projects-acme-api');
mkdirSync(projectDir, { recursive: true, mode: 0o700 });
const transcript = join(projectDir, `${sessionId}.jsonl`);
// One line in 500 carries a secret, so redaction has real work as well as clean lines.
const generated = generateTranscript({ bytes: mb * 1024 * 1024, fakes: fakeSecrets(1, 1), secretEvery: 500 });
writeFileSync(transcript, `${generated.join('\n')}\n`);
const lines = generated.length;
generated.length = 0;
const size = statSync(transcript).size;

// `save --all` over the same amount split into 4 sessions: one process against worker processes.
const SPLIT = 4;
const homeAll = join(root, 'home-all');
const projectAll = join(homeAll, '.claude', 'projects', '-home-dev-projects-acme-api');
mkdirSync(projectAll, { recursive: true, mode: 0o700 });
for (let i = 0; i < SPLIT; i++) {
  const part = generateTranscript({ bytes: (mb / SPLIT) * 1024 * 1024, fakes: fakeSecrets(1, 1), secretEvery: 500 });
  writeFileSync(join(projectAll, `0b4c7f5e-2222-4222-8333-44445555000${i}.jsonl`), `${part.join('\n')}\n`);
}
const defaultJobs = Math.max(1, Math.min(availableParallelism(), 4));

// The baseline: one streaming pass over the file, every line decoded and JSON.parsed.
const BASELINE = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], 'r');
const buf = Buffer.allocUnsafe(1 << 20);
let pending = Buffer.alloc(0), n = 0, pos = 0;
for (;;) {
  const got = fs.readSync(fd, buf, 0, buf.length, pos);
  if (got === 0) break;
  pos += got;
  const data = pending.length ? Buffer.concat([pending, buf.subarray(0, got)]) : buf.subarray(0, got);
  let start = 0;
  for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
    JSON.parse(data.toString('utf8', start, nl));
    n++;
    start = nl + 1;
  }
  pending = Buffer.from(data.subarray(start));
}
process.stdout.write(String(n));
`;

/** Wall time, CPU time (user+sys of the process and its children) and stdout of a command. */
function timed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    // `times` (POSIX sh) reports the CPU time of the shell's finished children.
    const script = `"$@" > "${root}/out" 2> "${root}/err"; rc=$?; times; exit $rc`;
    const t0 = performance.now();
    // From a directory of its own: a project config where the benchmark was started (this
    // repository has one) is not the default config this measures.
    const child = spawn('/bin/sh', ['-c', script, 'sh', cmd, ...args], { env, cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      const children = out.trim().split('\n').at(-1) ?? '';
      const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      const cpuMs = (secs[0] + secs[1]) * 1000;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${readFileSync(join(root, 'err'), 'utf8').trim()}`));
      else resolve({ ms, cpuMs });
    });
  });
}

const { KeyRing } = await import('../dist/serve/keys.js');
const { startServer } = await import('../dist/serve/serve.js');

const results = { baseline: [], local: [], searchable: [], http: [], allOne: [], allPool: [] };
try {
  for (let r = 0; r < runs; r++) {
    results.baseline.push(await timed(process.execPath, ['-e', BASELINE, transcript], process.env));

    const localHome = { ...timingEnv({ HOME: home }), CONFAB_STORE_DIR: join(root, `local-store-${r}`) };
    const saved = await timed(process.execPath, [bin, 'save', sessionId, '--json'], localHome);
    results.local.push(saved);
    // A save this large leaves the search index to a background `confab index update`; another
    // one waits for it (the catch-up lock) and returns once the session is searchable.
    const caughtUp = await timed(process.execPath, [bin, 'index', 'update', '--json'], localHome);
    results.searchable.push({ ms: saved.ms + caughtUp.ms, cpuMs: saved.cpuMs + caughtUp.cpuMs });

    // Each save --all into a store of its own; the background index is waited for (untimed) so
    // it does not share the machine with the next measurement.
    for (const [list, jobs] of [[results.allOne, 1], [results.allPool, defaultJobs]]) {
      const env = { ...timingEnv({ HOME: homeAll }), CONFAB_STORE_DIR: join(root, `all-${jobs}-${r}`) };
      list.push(await timed(process.execPath, [bin, 'save', '--all', '--jobs', String(jobs), '--json'], env));
      await timed(process.execPath, [bin, 'index', 'update', '--json'], env);
    }

    // Each run against a server of its own: a store and a search index that have never seen
    // the session (an index kept from the run before would have nothing left to do).
    const serveDir = join(root, `serve-store-${r}`);
    const { key } = await (await KeyRing.open(serveDir)).create('bench');
    const server = await startServer({ store: serveDir, port: 0 });
    try {
      await server.searchReady;
      const env = timingEnv({ HOME: home, CONFAB_BACKEND_URL: server.url, CONFAB_API_KEY: key });
      results.http.push(await timed(process.execPath, [bin, 'save', sessionId, '--json'], env));
    } finally {
      await server.close();
      rmSync(serveDir, { recursive: true, force: true });
    }
  }
  const pick = (list) => {
    const ms = median(list.map((x) => x.ms));
    return list.find((x) => x.ms === ms) ?? { ms, cpuMs: median(list.map((x) => x.cpuMs)) };
  };
  const base = pick(results.baseline);
  const local = pick(results.local);
  const searchable = pick(results.searchable);
  const http = pick(results.http);
  const allOne = pick(results.allOne);
  const allPool = pick(results.allPool);
  const mbps = (ms) => (size / 1024 / 1024 / (ms / 1000)).toFixed(1);
  const row = (what, x) => [what, `${x.ms.toFixed(0)} ms`, `${x.cpuMs.toFixed(0)} ms`, mbps(x.ms), `${(base.ms / x.ms).toFixed(2)}×`];
  const rows = [
    row('bare Node pass: read + `JSON.parse` every line (baseline)', base),
    row('`confab save` → embedded store', local),
    row('… and until the search index has caught up (in the background)', searchable),
    row('`confab save` → `confab serve` over HTTP (zstd)', http),
    row(`\`confab save --all\`, the same bytes in ${SPLIT} sessions, one process (\`--jobs 1\`)`, allOne),
    row(`… in ${defaultJobs} worker processes (the default \`--jobs\` here)`, allPool),
  ];
  publish(
    'backfill',
    `### Backfill throughput (\`bench/backfill.mjs\`)\n\n${machineLine()}, load average ${loadLine()} (1/5 min) at the end; a ${(size / 1024 / 1024).toFixed(0)} MiB synthetic transcript (${lines} lines, one in 500 with a secret), saved from scratch with the default config (redaction on); median of ${runs} run(s). Ratio = baseline time / our time (1.0× is the speed of a bare parse; higher is faster). CPU is user+sys of the process and its children; the HTTP row's CPU is the client's only (the server runs in the benchmark's process). The embedded save returns once its lines are stored; the search index catches up in a background process, whose time the second row adds (its CPU is not counted: that process is not the save's waited-for child).\n\n${table(['what', 'wall', 'CPU', 'MiB/s', 'vs baseline'], rows)}\n`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
