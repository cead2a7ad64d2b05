#!/usr/bin/env node
// An idle daemon (a session whose transcript does not change) against a bare `node` process
// doing nothing, measured side by side over the same window: CPU time used and RSS.
//   node bench/daemon-idle.mjs [--seconds 60] [--write]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLine, publish, table } from './lib/report.mjs';
import { anonMiB, cpuSeconds, rssMiB } from './lib/proc.mjs';
import { timingEnv } from './lib/startup.mjs';

const secArg = process.argv.indexOf('--seconds');
const seconds = secArg > 0 ? Number(process.argv[secArg + 1]) : 60;
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));

const root = mkdtempSync(join(tmpdir(), 'confab-bench-idle-'));
const home = join(root, 'home');
const project = join(home, '.claude', 'projects', '-work-app');
mkdirSync(project, { recursive: true });
const env = timingEnv({ HOME: home });
for (const k of Object.keys(env)) if (k.startsWith('CONFAB_')) delete env[k];
const id = '6f0e2d1c-0b9a-4c8d-9e7f-1a2b3c4d5e6f';
const transcript = join(project, `${id}.jsonl`);
writeFileSync(transcript, Array.from({ length: 200 }, (_, i) => JSON.stringify({ type: 'user', i, message: { role: 'user', content: `line ${i}` } })).join('\n') + '\n');

const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { env, stdio: 'ignore' });
const hook = spawnSync(process.execPath, [bin, 'hook', 'session-start'], {
  env,
  input: JSON.stringify({ session_id: id, transcript_path: transcript, cwd: '/work/app', hook_event_name: 'SessionStart' }),
  encoding: 'utf8',
});
if (hook.status !== 0) throw new Error(hook.stderr);
const state = JSON.parse(readFileSync(join(home, '.confab', 'sync', 'claude-code', `${id}.json`), 'utf8'));
const daemon = state.pid;

try {
  // Let both settle (the daemon's first sync, module loading) before the window opens.
  await new Promise((r) => setTimeout(r, 5000));
  const d0 = cpuSeconds(daemon);
  const b0 = cpuSeconds(bare.pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const d1 = cpuSeconds(daemon);
  const b1 = cpuSeconds(bare.pid);
  const rows = [
    ['idle daemon', `${(d1 - d0).toFixed(2)} s`, `${(((d1 - d0) / seconds) * 100).toFixed(3)} %`, `${rssMiB(daemon).toFixed(1)} MiB`, `${anonMiB(daemon).toFixed(1)} MiB`],
    ['bare `node` (setInterval)', `${(b1 - b0).toFixed(2)} s`, `${(((b1 - b0) / seconds) * 100).toFixed(3)} %`, `${rssMiB(bare.pid).toFixed(1)} MiB`, `${anonMiB(bare.pid).toFixed(1)} MiB`],
  ];
  const ratio = rssMiB(daemon) / rssMiB(bare.pid);
  publish(
    'daemon-idle',
    `### Idle daemon (\`bench/daemon-idle.mjs\`)\n\n${machineLine()}; a ${seconds} s window after a 5 s settle, both processes measured side by side (default 30 s interval + file watcher, embedded store).\n\n${table(['process', 'CPU time', 'CPU (of one core)', 'RSS', 'anonymous (not shared)'], rows)}\n\nDaemon RSS is ${ratio.toFixed(2)}× a bare node process. Most of either RSS is the node binary's code, which every node process on the machine shares; the anonymous column is what each further daemon adds. Target: < 1 % of one core.\n`,
  );
} finally {
  try {
    process.kill(daemon, 'SIGTERM');
  } catch {
    // already gone
  }
  bare.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 1000));
  rmSync(root, { recursive: true, force: true });
}
