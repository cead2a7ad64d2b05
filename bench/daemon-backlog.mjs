#!/usr/bin/env node
// A daemon catching up: a session whose transcript already holds N MiB when its daemon starts
// (a resumed session, a machine back online). Started by the real hook, on the embedded store
// (default config, redaction on); measured: the daemon's CPU time and the wall time from the
// hook's start until `confab list` shows every line synced. With `--baseline <checkout>` (a
// built checkout of another revision) the same catch-up runs from that build too, alternating,
// in the same run; the ratio is the baseline's CPU over this build's.
//   node bench/daemon-backlog.mjs [--mib 50] [--runs 3] [--baseline ../main] [--write]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLine, machineLine, publish, table } from './lib/report.mjs';
import { cpuSeconds } from './lib/proc.mjs';
import { median } from './lib/startup.mjs';
import { generateTranscript } from './lib/transcript.mjs';
import { startSessionDaemon, waitUntilSynced } from './lib/session-daemon.mjs';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const MIB = Number(arg('--mib', '50'));
const RUNS = Number(arg('--runs', '3'));
const baseline = arg('--baseline');
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const root = mkdtempSync(join(tmpdir(), 'confab-bench-backlog-'));
const lines = generateTranscript({ bytes: MIB * 1024 * 1024 });
const transcriptText = `${lines.join('\n')}\n`;
const id = '7a1e2d1c-0b9a-4c8d-9e7f-1a2b3c4d5e6f';

/** One catch-up from `entry` in a fresh home: the daemon's CPU and the wall time until synced. */
async function catchUp(name, entry) {
  const home = join(root, name);
  const t0 = performance.now();
  const { pid, env, payload } = startSessionDaemon({ entry, home, id, transcriptText });
  let cpu = 0;
  await waitUntilSynced({ entry, env, id, lines: lines.length, what: name, timeoutMs: 300_000, pollMs: 100, onPoll: () => (cpu = cpuSeconds(pid) || cpu) });
  const wall = performance.now() - t0;
  cpu = cpuSeconds(pid) || cpu;
  spawnSync(process.execPath, [entry, 'hook', 'session-end'], { env, input: payload('SessionEnd', { reason: 'other' }) });
  for (let t = 0; t < 200 && cpuSeconds(pid) > 0; t++) await sleep(50);
  const log = join(home, '.confab', 'logs', 'claude-code', `${id}.log`);
  const raised = existsSync(log) && readFileSync(log, 'utf8').includes('optimizing compiler on');
  rmSync(home, { recursive: true, force: true });
  return { cpu, wall, raised };
}

const variants = [['this build', bin], ...(baseline ? [['baseline', join(resolve(baseline), 'bin', 'run.js')]] : [])];
const results = new Map(variants.map(([name]) => [name, []]));
try {
  for (let r = 0; r < RUNS; r++) {
    for (const [name, entry] of variants) {
      const res = await catchUp(`${name.replace(/\W+/g, '-')}-${r}`, entry);
      results.get(name).push(res);
      process.stderr.write(`${name} #${r + 1}: CPU ${res.cpu.toFixed(2)} s, wall ${(res.wall / 1000).toFixed(2)} s${res.raised ? ', tier raised' : ''}\n`);
    }
  }
  const load = loadLine();
  const base = baseline ? median(results.get('baseline').map((x) => x.cpu)) : undefined;
  const rows = variants.map(([name]) => {
    const xs = results.get(name);
    const cpu = median(xs.map((x) => x.cpu));
    return [
      name,
      `${cpu.toFixed(2)} s (${xs.map((x) => x.cpu.toFixed(2)).join(', ')})`,
      `${(median(xs.map((x) => x.wall)) / 1000).toFixed(2)} s`,
      base ? `${(base / cpu).toFixed(2)}×` : '—',
      xs.every((x) => x.raised) ? 'yes' : xs.some((x) => x.raised) ? 'some runs' : 'no',
    ];
  });
  publish(
    'daemon-backlog',
    `### A daemon catching up (\`bench/daemon-backlog.mjs\`)

${machineLine()}; load average ${load} (1/5 min). A ${(transcriptText.length / 1e6).toFixed(1)} MB transcript (${lines.length} lines) written before the session's hook starts its daemon, on the embedded store (default config, redaction on); CPU is the daemon's own, until \`confab list\` shows every line synced; medians of ${RUNS} runs, alternating.${baseline ? ' "baseline" ran from a build of another revision; ratio = its CPU ÷ this build\'s.' : ''}

${table(['daemon', 'CPU (runs)', 'wall, hook → synced', 'ratio', 'optimizing compiler raised'], rows)}
`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
