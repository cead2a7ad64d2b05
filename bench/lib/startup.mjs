// Timing helpers for commands whose cost is mostly process start-up.
import { spawnSync } from 'node:child_process';

/** Environment for timing: NODE_EXTRA_CA_CERTS adds 60–80 ms to every Node start here. */
export function timingEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Wall time of one run, in milliseconds. Throws if the command fails. */
export function timeOnce({ cmd, args, input, env, cwd }) {
  const start = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { input, env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${res.status}: ${res.stderr.toString().slice(0, 300)}`);
  }
  return ms;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * Run each case `runs` times, interleaved (A B C A B C …) so drift in machine load hits
 * every case alike. `setup` (optional) runs before each timed run of that case, untimed.
 */
export function interleave(cases, runs, warmup = 3) {
  const samples = new Map(cases.map((c) => [c.name, []]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const c of cases) {
      const spec = c.setup ? c.setup(i) : c;
      const ms = timeOnce(spec);
      if (c.teardown) c.teardown(i);
      if (i >= warmup) samples.get(c.name).push(ms);
    }
  }
  return samples;
}

/** Whether a process with this PID exists (signal 0 checks without sending anything). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
