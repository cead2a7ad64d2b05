#!/usr/bin/env node
// Idle daemons (sessions whose transcripts stopped changing) against a bare `node` process
// doing nothing, measured side by side over the same window: CPU time used and RSS. Each
// daemon first syncs a ~2.6 MB transcript (about one full chunk): one to the embedded store,
// one over HTTP to a confab serve API in another process. With `--baseline <checkout>` (a
// built checkout of another revision, e.g. main) the same two daemons run from that build
// too, in the same run. Each variant runs `--replicas` daemons (3 by default), and each
// process's RSS is sampled every second through the window: a row shows the median over its
// daemons of each one's median (one sample of one process swings by a few MiB with where its
// last cycle left the heap).
//   node bench/daemon-idle.mjs [--seconds 60] [--replicas 3] [--baseline ../main] [--write]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLine, machineLine, publish, table } from './lib/report.mjs';
import { anonMiB, cpuSeconds, rssMiB } from './lib/proc.mjs';
import { generateTranscript } from './lib/transcript.mjs';
import { startSessionDaemon, waitUntilSynced } from './lib/session-daemon.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(arg('--seconds') ?? 60);
const baseline = arg('--baseline');
const replicas = Number(arg('--replicas') ?? 3);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const root = mkdtempSync(join(tmpdir(), 'confab-bench-idle-'));
const lines = generateTranscript({ bytes: 2.6e6 });
const transcriptText = `${lines.join('\n')}\n`;

// The API server in its own process, so that only daemons share this machine's measurements.
const server = spawn(process.execPath, [fileURLToPath(new URL('./lib/serve-child.mjs', import.meta.url)), join(root, 'serve')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const { url, key } = await new Promise((res, rej) => {
  let out = '';
  server.stdout.on('data', (b) => {
    out += b;
    if (out.includes('\n')) res(JSON.parse(out));
  });
  server.once('exit', (code) => rej(new Error(`serve exited ${code}`)));
});

const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });

/** Start a session's daemon from `entry` on a backend and wait until it has synced the transcript. */
async function startDaemon(name, entry, backend) {
  const id = '6f0e2d1c-0b9a-4c8d-9e7f-1a2b3c4d5e6f';
  const { pid, env } = startSessionDaemon({ entry, home: join(root, name), id, transcriptText, ...(backend === 'http' ? { config: { backend_url: url, api_key: key } } : {}) });
  await waitUntilSynced({ entry, env, id, lines: lines.length, what: name });
  return { name, pid };
}

const variants = [
  ['this build, HTTP', bin, 'http'],
  ['this build, embedded store', bin, 'local'],
  ...(baseline
    ? [
        ['baseline, HTTP', join(resolve(baseline), 'bin', 'run.js'), 'http'],
        ['baseline, embedded store', join(resolve(baseline), 'bin', 'run.js'), 'local'],
      ]
    : []),
];
const daemons = [];
try {
  for (const [name, entry, backend] of variants) {
    for (let r = 0; r < replicas; r++) daemons.push({ variant: name, ...(await startDaemon(`${name.replace(/\W+/g, '-')}-${r}`, entry, backend)) });
  }
  // Let everything settle (the daemons' last sync cycles, module loading) before the window opens.
  await sleep(5000);
  const procs = [...daemons.map((d) => ({ label: `idle daemon: ${d.variant}`, pid: d.pid })), { label: 'bare `node` (setInterval)', pid: bare.pid }];
  const cpu0 = procs.map((p) => cpuSeconds(p.pid));
  const rss = procs.map(() => []);
  const anon = procs.map(() => []);
  for (let t = 0; t < seconds; t++) {
    await sleep(1000);
    procs.forEach((p, i) => {
      rss[i].push(rssMiB(p.pid));
      anon[i].push(anonMiB(p.pid));
    });
  }
  const load = loadLine();
  const measured = procs.map((p, i) => ({ label: p.label, cpu: cpuSeconds(p.pid) - cpu0[i], rss: median(rss[i]), anon: median(anon[i]) }));
  const labels = [...new Set(measured.map((m) => m.label))];
  const byLabel = labels.map((label) => {
    const ms = measured.filter((m) => m.label === label);
    return { label, n: ms.length, cpu: median(ms.map((m) => m.cpu)), rss: median(ms.map((m) => m.rss)), anon: median(ms.map((m) => m.anon)), spread: [Math.min(...ms.map((m) => m.rss)), Math.max(...ms.map((m) => m.rss))] };
  });
  const bareRss = byLabel.at(-1).rss;
  const rows = byLabel.map((m) => [
    m.label,
    `${m.cpu.toFixed(2)} s`,
    `${((m.cpu / seconds) * 100).toFixed(3)} %`,
    m.n > 1 ? `${m.rss.toFixed(1)} MiB (${m.spread[0].toFixed(1)}–${m.spread[1].toFixed(1)})` : `${m.rss.toFixed(1)} MiB`,
    `${(m.rss / bareRss).toFixed(2)}×`,
    `${m.anon.toFixed(1)} MiB`,
  ]);
  publish(
    'daemon-idle',
    `### Idle daemon (\`bench/daemon-idle.mjs\`)

${machineLine()}; load average ${load} (1/5 min). Each daemon first synced a ${(transcriptText.length / 1e6).toFixed(1)} MB transcript (${lines.length} lines), over HTTP to a confab serve API in another process or to the embedded store; then a ${seconds} s window after a 5 s settle, all processes measured side by side (default 30 s interval + file watcher); ${replicas} daemon(s) per row, each sampled every second, the row showing the median of their medians (and their range).${baseline ? ' "baseline" rows ran from a build of the previous revision, in the same run.' : ''}

${table(['process', 'CPU time', 'CPU (of one core)', 'RSS', 'RSS vs bare node', 'anonymous (not shared)'], rows)}

Most of any RSS is the node binary's code, which every node process on the machine shares; the anonymous column is what each further daemon adds. Targets: < 1 % of one core; idle RSS after an HTTP sync ≤ 1.3× a bare node process.
`,
  );
} finally {
  for (const d of daemons) {
    try {
      process.kill(d.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  bare.kill('SIGKILL');
  server.kill('SIGTERM');
  await sleep(1000);
  rmSync(root, { recursive: true, force: true });
}
