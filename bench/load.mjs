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
import { loadLine, machineLine, publish, table } from './lib/report.mjs';
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
/** confab-web's per-user upload rate, which `sustained` gives the server (lib/load-serve.mjs). */
const SERVER_RATE = 2.78;
/**
 * The rate-limited case as recorded before the daemons shared one budget (2026-11-26, each
 * daemon spending the per-user budget as if it were alone; same machine, same script).
 */
const BEFORE_SUSTAINED = { sessions: 50, stored: 2927, appended: 2927, chunks: 236, rateLimited: 763, p50: 21686, p95: 56442 };

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
  // A server without limits is configured as such (no shared budget to respect); the
  // rate-limited one keeps the default, confab-web's per-user limit.
  const config = { backend_url: server.url, api_key: server.key, ...(limits === 'off' ? { upload_limit: false } : {}) };
  writeFileSync(join(home, '.confab', 'config.json'), JSON.stringify(config));
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
    const loadBefore = loadLine();
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
    const loadAfter = loadLine();
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
      load: `${loadBefore} → ${loadAfter}`,
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

const HEADINGS = {
  off: '#### Server without rate limits',
  sustained: "#### Server at confab-web's sustained per-user rate (2.78 uploads/s shared by all of the user's sessions, burst spent)",
};

/**
 * What the budget allows: N sessions that always have lines waiting share `SERVER_RATE` turns
 * a second, so each gets a turn every N / rate seconds; a line appended at a random moment
 * waits for the next turn (uniform over that interval: p50 half of it, p95 95 % of it), then
 * the upload itself (the single session's p50).
 */
function budgetAllows(sessions, uploadMs) {
  const turnMs = (sessions / SERVER_RATE) * 1000;
  return { turnMs, p50: Math.round(turnMs / 2 + uploadMs), p95: Math.round(turnMs * 0.95 + uploadMs) };
}

/** The subsections recorded earlier, by heading, so a run of one mode keeps the other's. */
function recordedSections() {
  const doc = readFileSync(new URL('./BENCHMARKS.md', import.meta.url), 'utf8');
  const start = doc.indexOf('<!-- load:start -->');
  const end = doc.indexOf('<!-- load:end -->');
  const out = {};
  if (start < 0 || end < start) return out;
  const body = doc.slice(start, end);
  for (const [mode, heading] of Object.entries(HEADINGS)) {
    const i = body.indexOf(heading);
    if (i < 0) continue;
    const next = body.indexOf('\n#### ', i + heading.length);
    let section = body.slice(i, next < 0 ? undefined : next + 1).trimEnd() + '\n';
    if (!section.includes('\nMeasured ')) section = section.replace(heading, `${heading}\n\nMeasured 2026-11-26, before the daemons shared one upload budget; not rerun since.`);
    out[mode] = section;
  }
  return out;
}

const modes = LIMITS === 'both' ? ['off', 'sustained'] : [LIMITS];
const sections = recordedSections();
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
    r.load,
  ];
  const ratio = (a, b) => `${(a / b).toFixed(1)}×`;
  let text =
    `${HEADINGS[mode]}\n\nMeasured ${new Date().toISOString().slice(0, 10)}.\n\n` +
    `${table(['sessions', 'lines stored/appended', 'chunks', '429s', 'daemons RSS (mean)', 'daemons PSS (mean)', 'daemons CPU (of one core)', 'p50 append→stored', 'p95 append→stored', 'load avg 1/5 min (start → end)'], [row(one), row(many)])}\n\n` +
    `${SESSIONS} sessions vs 1: RSS ${ratio(many.rssMean, one.rssMean)}, PSS ${ratio(many.pssMean, one.pssMean)}, CPU ${ratio(many.cpuPct, one.cpuPct)}, p95 latency ${ratio(many.p95, one.p95)} (per session: RSS ${ratio(many.rssMean / SESSIONS, one.rssMean)}, PSS ${ratio(many.pssMean / SESSIONS, one.pssMean)}, CPU ${ratio(many.cpuPct / SESSIONS, one.cpuPct)}).\n`;
  if (mode === 'sustained') {
    const allows = budgetAllows(many.sessions, one.p50);
    const b = BEFORE_SUSTAINED;
    text +=
      `\nWhat the budget allows: ${many.sessions} sessions sharing ${SERVER_RATE} turns/s get a turn each every ${(allows.turnMs / 1000).toFixed(1)} s; a line waits for the next turn (p50 half of it, p95 95 % of it) plus the upload (the single session's p50, ${one.p50} ms): p50 ${allows.p50} ms, p95 ${allows.p95} ms.\n\n` +
      `${table(
        [`${many.sessions} sessions, rate-limited server`, 'lines stored/appended', 'chunks', '429s', 'p50 append→stored', 'p95 append→stored', 'p95 ÷ what the budget allows'],
        [
          ['before: each daemon spends the budget alone (recorded 2026-11-26)', `${b.stored}/${b.appended}`, String(b.chunks), String(b.rateLimited), `${b.p50} ms`, `${b.p95} ms`, ratio(b.p95, allows.p95)],
          ['after: one budget shared by all daemons (this run)', `${many.stored}/${many.appended}`, String(many.chunks), String(many.rateLimited), `${many.p50} ms`, `${many.p95} ms`, ratio(many.p95, allows.p95)],
          ['what the budget allows', '', '', '0', `${allows.p50} ms`, `${allows.p95} ms`, '1.0×'],
        ],
      )}\n`;
  }
  sections[mode] = text;
}
publish(
  'load',
  `### Many sessions on one machine (\`bench/load.mjs\`)\n\n${machineLine()}; ${SESSIONS} Claude Code sessions started by the real hooks, each appending 1–4 transcript lines every 1–4 s for ${SECONDS} s, one daemon each (default 30 s interval, file watcher, redaction on), all syncing to one \`confab serve\` API server over HTTP; measured against one session alone in the same run. RSS, PSS and CPU are summed over all daemons during the window (PSS splits each shared page, such as the node binary's code, among the processes that map it, so summed PSS is the daemons' real memory cost; summed RSS counts shared pages once per daemon); latency is from a line's append to its commit on the server. A section not rerun is kept as recorded, with its own date.\n\n${['off', 'sustained']
    .filter((m) => sections[m])
    .map((m) => sections[m])
    .join('\n')}`,
);
