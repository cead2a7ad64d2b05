#!/usr/bin/env node
// Wall time of `confab hook …` through bin/run.js's fast path, against `node -e 0` measured
// in the same run (interleaved, NODE_EXTRA_CA_CERTS unset). Usage:
//   node bench/hook-latency.mjs [--runs N] [--write]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave, median, percentile, timingEnv } from './lib/startup.mjs';
import { machineLine, publish, table } from './lib/report.mjs';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 40;
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));

const root = mkdtempSync(join(tmpdir(), 'confab-bench-hook-'));
const home = join(root, 'home');
const project = join(home, '.claude', 'projects', '-work-app');
mkdirSync(project, { recursive: true });
const env = timingEnv({ HOME: home, CONFAB_SYNC_INTERVAL_MS: '1000' });
for (const key of Object.keys(env)) if (key.startsWith('CONFAB_') && key !== 'CONFAB_SYNC_INTERVAL_MS') delete env[key];

const sessionId = '0b4c7f5e-1f0e-4a7e-9a39-3f2a1c0d9e11';
const transcript = join(project, `${sessionId}.jsonl`);
writeFileSync(transcript, `${JSON.stringify({ type: 'user', sessionId, cwd: '/work/app', message: { role: 'user', content: 'hi' } })}\n`);
const payload = (event) => JSON.stringify({ session_id: sessionId, transcript_path: transcript, cwd: '/work/app', hook_event_name: event });

const cases = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], env },
  { name: 'confab hook session-start', cmd: process.execPath, args: [bin, 'hook', 'session-start'], env, input: payload('SessionStart') },
  { name: 'confab hook session-end', cmd: process.execPath, args: [bin, 'hook', 'session-end'], env, input: payload('SessionEnd') },
];

try {
  const samples = interleave(cases, runs);
  const base = median(samples.get('node -e 0'));
  const rows = [...samples].map(([name, v]) => [
    `\`${name}\``,
    `${median(v).toFixed(1)} ms`,
    `${percentile(v, 95).toFixed(1)} ms`,
    `${(median(v) / base).toFixed(2)}×`,
  ]);
  publish(
    'hook-latency',
    `### Hook latency (\`bench/hook-latency.mjs\`)\n\n${machineLine()}; ${runs} interleaved runs each.\n\n${table(['command', 'median', 'p95', 'vs node -e 0'], rows)}\n`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
