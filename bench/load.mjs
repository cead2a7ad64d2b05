#!/usr/bin/env node
// Many sessions on one machine: N concurrent Claude Code sessions (real hooks, real daemons
// with the default 30 s interval and the file watcher), each appending transcript lines at a
// realistic rate, all syncing to one `confab serve` API server. Measured against a single
// session in the same run: total RSS and CPU of all daemons, and the p95 latency from a line's
// append to its commit on the server (timed by the server; see lib/load-serve.mjs).
//   node bench/load.mjs [--sessions 50] [--seconds 60] [--limits off|sustained|both] [--write]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { machineLine, publish, table } from './lib/report.mjs';
import { cpuSeconds, pssMiB, rssMiB } from './lib/proc.mjs';
import { timingEnv } from './lib/startup.mjs';
import { generateTranscript } from './lib/transcript.mjs';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const SESSIONS = Number(arg('--sessions', '50'));
const SECONDS = Number(arg('--seconds', '60'));
const LIMITS = arg('--limits', 'both');
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const pool = generateTranscript({ bytes: 4 * 1024 * 1024, seed: 11 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(dir, limits) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./lib/load-serve.mjs', import.meta.url)), dir, limits], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once('line', (l) => resolve(JSON.parse(l))));
  const info = await next();
  return {
    ...info,
    reset: () => child.stdin.write('reset\n'),
    report: async () => {
      const p = next();
      child.stdin.write('report\n');
      return p;
    },
    stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
  };
}

/** A line of a realistic transcript, stamped with its append time for the server to read. */
function stamped(n) {
  const line = pool[n % pool.length];
  return `{"bench_t":${Date.now()},${line.slice(1)}`;
}

async function run(sessions, limits) {
  const root = mkdtempSync(join(tmpdir(), 'confab-bench-load-'));
  const home = join(root, 'home');
  const project = join(home, '.claude', 'projects', '-bench');
  mkdirSync(project, { recursive: true });
  mkdirSync(join(home, '.confab'), { recursive: true });
  const server = await startServer(join(root, 'store'), limits);
  writeFileSync(join(home, '.confab', 'config.json'), JSON.stringify({ backend_url: server.url, api_key: server.key }));
  const env = timingEnv({ HOME: home });
  for (const k of Object.keys(env)) if (k.startsWith('CONFAB_')) delete env[k];
  const hook = (event, payload) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'hook', event], { env, stdio: ['pipe', 'ignore', 'ignore'] });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`hook ${event} exited ${code}`))));
      child.stdin.end(JSON.stringify(payload));
    });
  const ss = Array.from({ length: sessions }, (_, i) => {
    const id = randomUUID();
    return { i, id, path: join(project, `${id}.jsonl`), n: i * 977, appended: 0 };
  });
  const payload = (s, event) => ({ session_id: s.id, transcript_path: s.path, cwd: '/bench', hook_event_name: event, ...(event === 'SessionEnd' ? { reason: 'exit' } : { source: 'startup' }) });
  let pids = [];
  try {
    // Start the sessions a few at a time, as a user opening terminals would.
    for (let i = 0; i < ss.length; i += 5) {
      await Promise.all(
        ss.slice(i, i + 5).map(async (s) => {
          appendFileSync(s.path, `${stamped(s.n++)}\n`);
          await hook('session-start', payload(s, 'SessionStart'));
        }),
      );
    }
    for (const s of ss) {
      const state = join(home, '.confab', 'sync', 'claude-code', `${s.id}.json`);
      for (let t = 0; t < 200 && !existsSync(state); t++) await sleep(50);
      s.pid = JSON.parse(readFileSync(state, 'utf8')).pid;
    }
    pids = ss.map((s) => s.pid);
    // Let every daemon boot and do its first sync before the window opens: every session's
    // first line is on the server, and the daemons have gone quiet (< 5 % of a core for 2 s).
    for (let t = 0; t < 120 && (await server.report()).lines < sessions; t++) await sleep(500);
    for (let t = 0; t < 30; t++) {
      const before = pids.reduce((sum, p) => sum + cpuSeconds(p), 0);
      await sleep(2000);
      if (pids.reduce((sum, p) => sum + cpuSeconds(p), 0) - before < 0.1) break;
    }
    server.reset();
    const cpu0 = pids.map(cpuSeconds);
    const rss = [];
    const pss = [];
    let appended = 0;
    const end = Date.now() + SECONDS * 1000;
    const sampler = setInterval(() => {
      rss.push(pids.reduce((sum, p) => sum + rssMiB(p), 0));
      pss.push(pids.reduce((sum, p) => sum + pssMiB(p), 0));
    }, 2000);
    // Each session: a burst of 1-4 lines every 1-4 s (a turn: prompt, text, tool call, result).
    await Promise.all(
      ss.map(async (s) => {
        await sleep(Math.random() * 4000);
        while (Date.now() < end) {
          const k = 1 + Math.floor(Math.random() * 4);
          appendFileSync(s.path, Array.from({ length: k }, () => `${stamped(s.n++)}\n`).join(''));
          appended += k;
          await sleep(1000 + Math.random() * 3000);
        }
      }),
    );
    const cpu1 = pids.map(cpuSeconds);
    clearInterval(sampler);
    // The tail: wait until every appended line is on the server (or give up after 90 s).
    let report = await server.report();
    for (let t = 0; t < 180 && report.lines < appended; t++) {
      await sleep(500);
      report = await server.report();
    }
    const cpu = cpu1.reduce((a, b) => a + b, 0) - cpu0.reduce((a, b) => a + b, 0);
    return {
      sessions,
      appended,
      stored: report.lines,
      chunks: report.chunks,
      rateLimited: report.rateLimited,
      p50: report.p50,
      p95: report.p95,
      rssMean: rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length),
      rssPeak: Math.max(...rss),
      pssMean: pss.reduce((a, b) => a + b, 0) / Math.max(1, pss.length),
      cpuPct: (cpu / SECONDS) * 100,
    };
  } finally {
    await Promise.all(ss.map((s) => hook('session-end', payload(s, 'SessionEnd')).catch(() => undefined)));
    for (let t = 0; t < 100 && pids.some((p) => existsSync(`/proc/${p}`)); t++) await sleep(100);
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // exited
      }
    }
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

const modes = LIMITS === 'both' ? ['off', 'sustained'] : [LIMITS];
const sections = [];
for (const mode of modes) {
  const one = await run(1, mode);
  const many = await run(SESSIONS, mode);
  console.error(JSON.stringify({ mode, one, many }));
  const row = (r) => [
    String(r.sessions),
    `${r.stored}/${r.appended}`,
    String(r.chunks),
    String(r.rateLimited),
    `${r.rssMean.toFixed(0)} MiB (${(r.rssMean / r.sessions).toFixed(1)} per daemon)`,
    `${r.pssMean.toFixed(0)} MiB (${(r.pssMean / r.sessions).toFixed(1)} per daemon)`,
    `${r.cpuPct.toFixed(2)} %`,
    `${r.p50} ms`,
    `${r.p95} ms`,
  ];
  const ratio = (a, b) => `${(a / b).toFixed(1)}×`;
  sections.push(
    `#### ${mode === 'off' ? 'Server without rate limits' : "Server at confab-web's sustained per-user rate (2.78 uploads/s shared by all of the user's sessions, burst spent)"}\n\n` +
      `${table(['sessions', 'lines stored/appended', 'chunks', '429s', 'daemons RSS (mean)', 'daemons PSS (mean)', 'daemons CPU (of one core)', 'p50 append→stored', 'p95 append→stored'], [row(one), row(many)])}\n\n` +
      `${SESSIONS} sessions vs 1: RSS ${ratio(many.rssMean, one.rssMean)}, PSS ${ratio(many.pssMean, one.pssMean)}, CPU ${ratio(many.cpuPct, one.cpuPct)}, p95 latency ${ratio(many.p95, one.p95)} (per session: RSS ${ratio(many.rssMean / SESSIONS, one.rssMean)}, PSS ${ratio(many.pssMean / SESSIONS, one.pssMean)}, CPU ${ratio(many.cpuPct / SESSIONS, one.cpuPct)}).\n`,
  );
}
publish(
  'load',
  `### Many sessions on one machine (\`bench/load.mjs\`)\n\n${machineLine()}; ${SESSIONS} Claude Code sessions started by the real hooks, each appending 1–4 transcript lines every 1–4 s for ${SECONDS} s, one daemon each (default 30 s interval, file watcher, redaction on), all syncing to one \`confab serve\` API server over HTTP; measured against one session alone in the same run. RSS, PSS and CPU are summed over all daemons during the window (PSS splits each shared page, such as the node binary's code, among the processes that map it, so summed PSS is the daemons' real memory cost; summed RSS counts shared pages once per daemon); latency is from a line's append to its commit on the server.\n\n${sections.join('\n')}`,
);
