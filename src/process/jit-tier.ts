/**
 * A daemon runs without V8's optimizing compiler until it meets a backlog.
 *
 * A live session's daemon handles a trickle of a few KiB every second or so: baseline
 * (Sparkplug) code serves that at the same CPU as optimized code, and optimized code, the
 * compiler's own pages and the feedback behind them are most of what a busy daemon adds to a
 * bare `node` (bench/BENCHMARKS.md, the 50-session rows). A catch-up of many MiB (a resumed
 * session, a machine back online) costs twice the CPU at baseline, so the first one raises the
 * tier for the rest of the process's life.
 */
import type * as V8 from 'node:v8';

/** Node option that starts a process at the baseline tier (`spawnDaemon` passes it). */
export const BASELINE_TIER_FLAG = '--max-opt=1';

/** Set once `raiseJitTier` has run: nothing else about the tier needs remembering. */
let raised = false;

/** Whether this process was started at the baseline tier and has not raised it since. */
export function runsAtBaselineTier(): boolean {
  return !raised && process.execArgv.includes(BASELINE_TIER_FLAG);
}

/**
 * Let V8 optimize again, from the next hot call on. Both flags are needed: `--max-opt=1` also
 * switched TurboFan off by implication, and the implication is not undone by raising the limit
 * alone. Returns false when there was nothing to raise.
 */
export function raiseJitTier(): boolean {
  if (!runsAtBaselineTier()) return false;
  raised = true;
  const v8 = process.getBuiltinModule('node:v8') as typeof V8;
  v8.setFlagsFromString('--max-opt=999');
  v8.setFlagsFromString('--turbofan');
  return true;
}

/** A chunk this large is a backlog being read: an agent appends a few KiB at a time. */
export const BACKLOG_CHUNK_CHARS = 256 * 1024;
/** How much backlog a baseline daemon reads before it raises its tier. */
export const BACKLOG_RAISE_CHARS = 1024 * 1024;

/**
 * Counts the characters of backlog-sized chunks; true once, when they reach
 * `BACKLOG_RAISE_CHARS` (the moment to raise the tier).
 */
export function backlogMeter(raiseAt = BACKLOG_RAISE_CHARS, chunkAtLeast = BACKLOG_CHUNK_CHARS): (lines: readonly string[]) => boolean {
  let seen = 0;
  let done = false;
  return (lines) => {
    if (done) return false;
    let chars = 0;
    for (const line of lines) chars += line.length;
    if (chars < chunkAtLeast) return false;
    seen += chars;
    if (seen < raiseAt) return false;
    done = true;
    return true;
  };
}
