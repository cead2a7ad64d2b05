#!/usr/bin/env node
// Wall time of `confab hook …` through bin/run.js's fast path, against `node -e 0` measured
// in the same run (interleaved, NODE_EXTRA_CA_CERTS unset). Every timed session-start is a
// new session, so it really spawns a daemon; every timed session-end really stops one (after
// that daemon finished starting up). Waiting for daemons and cleaning up is not timed.
// Usage: node bench/hook-latency.mjs [--runs N] [--baseline <another built checkout>] [--write]
//   --baseline times the same hooks with that checkout's bin/run.js in the same run (e.g. a
//   worktree of main), for a before/after comparison.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave, isAlive, median, percentile, timingEnv } from './lib/startup.mjs';
import { loadLine, machineLine, publish, table } from './lib/report.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg('--runs') ?? 40);
const baseline = arg('--baseline');
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));

const root = mkdtempSync(join(tmpdir(), 'confab-bench-hook-'));
const home = join(root, 'home');
const project = join(home, '.claude', 'projects', '-work-app');
mkdirSync(project, { recursive: true });
const env = timingEnv({ HOME: home, CONFAB_SYNC_INTERVAL_MS: '1000' });
for (const key of Object.keys(env)) if (key.startsWith('CONFAB_') && key !== 'CONFAB_SYNC_INTERVAL_MS') delete env[key];

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms) => Atomics.wait(sleeper, 0, 0, ms);
const readState = (id) => {
  try {
    return JSON.parse(readFileSync(join(home, '.confab', 'sync', 'claude-code', `${id}.json`), 'utf8'));
  } catch {
    return undefined;
  }
};
/** Poll (untimed) until `check` is true, up to `ms`. */
const waitSync = (check, ms) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) sleepSync(10);
  return check();
};

// `i` counts runs; each checkout timed (see --baseline) starts its sessions at its own offset.
const sessionIdFor = (i) => `0b4c7f5e-1f0e-4a7e-9a39-${String(i).padStart(12, '0')}`;
const transcriptFor = (i) => join(project, `${sessionIdFor(i)}.jsonl`);
const payload = (i, event) => JSON.stringify({ session_id: sessionIdFor(i), transcript_path: transcriptFor(i), cwd: '/work/app', hook_event_name: event });
/** A Bash call that cannot commit, push or open a PR (as Claude Code 2.1.332 sends it): no GitHub linking to do. */
const BASH_COMMAND = 'npm test -- --reporter=dot 2>&1 | tail -20';
const toolPayload = (event) =>
  JSON.stringify({
    session_id: sessionIdFor(0),
    transcript_path: transcriptFor(0),
    cwd: '/work/app',
    permission_mode: 'default',
    hook_event_name: event,
    tool_name: 'Bash',
    tool_input: { command: BASH_COMMAND, description: 'Run the tests' },
    tool_use_id: 'toolu_01Bench000000000000000001',
    ...(event === 'PostToolUse' ? { tool_response: { stdout: ' 212 passed (212)\n', stderr: '', interrupted: false, isImage: false, noOutputExpected: false } } : {}),
  });
const spawned = [];

/** The timed hooks, run through `entry` (a bin/run.js); `offset` keeps their sessions apart from another checkout's. */
function hookCases(entry, suffix, offset) {
  let daemonPid;
  return [
    // The fast path alone (bin/run.js → dist/hook.cjs, parse, answer): a tool hook, which runs
    // at every tool call and has nothing to start or stop.
    {
      name: `confab hook pre-tool-use (fast path only)${suffix}`,
      cmd: process.execPath,
      args: [entry, 'hook', 'pre-tool-use'],
      env,
      input: toolPayload('PreToolUse'),
    },
    // PostToolUse of the same non-linking call: the payload carries the tool's output too.
    {
      name: `confab hook post-tool-use (fast path only)${suffix}`,
      cmd: process.execPath,
      args: [entry, 'hook', 'post-tool-use'],
      env,
      input: toolPayload('PostToolUse'),
    },
    {
      name: `confab hook session-start (spawns a daemon)${suffix}`,
      setup: (i) => {
        const id = sessionIdFor(offset + i);
        writeFileSync(transcriptFor(offset + i), `${JSON.stringify({ type: 'user', sessionId: id, cwd: '/work/app', message: { role: 'user', content: 'hi' } })}\n`);
        return { cmd: process.execPath, args: [entry, 'hook', 'session-start'], env, input: payload(offset + i, 'SessionStart') };
      },
      teardown: (i) => {
        const state = readState(sessionIdFor(offset + i));
        if (!state || !isAlive(state.pid)) throw new Error(`session-start run ${i}${suffix} did not start a daemon`);
        daemonPid = state.pid;
        spawned.push(state.pid);
      },
    },
    {
      name: `confab hook session-end (stops it)${suffix}`,
      setup: (i) => {
        // A real session ends long after it started: let the daemon finish starting (its first
        // sync records the backend session id in its state) so its start-up is not timed here.
        waitSync(() => readState(sessionIdFor(offset + i))?.confab_session_id, 10_000);
        return { cmd: process.execPath, args: [entry, 'hook', 'session-end'], env, input: payload(offset + i, 'SessionEnd') };
      },
      teardown: (i) => {
        if (readState(sessionIdFor(offset + i))) throw new Error(`session-end run ${i}${suffix} left the daemon's state`);
        if (!waitSync(() => !isAlive(daemonPid), 15_000)) process.kill(daemonPid, 'SIGKILL');
      },
    },
  ];
}

const cases = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], env },
  ...hookCases(bin, '', 0),
  ...(baseline ? hookCases(join(resolve(baseline), 'bin', 'run.js'), ' (baseline)', 100_000) : []),
];

try {
  const loadBefore = loadLine();
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
    `### Hook latency (\`bench/hook-latency.mjs\`)\n\n${machineLine()}; ${runs} interleaved runs each; load average ${loadBefore} before, ${loadLine()} after. The fast path alone (a PreToolUse/PostToolUse for a Bash call with no GitHub linking to do) targets at most 1.5× \`node -e 0\`; each session-start is a new session and spawns its daemon, each session-end stops a running one: target at most 1.8×.${baseline ? ' *(baseline)* rows run another checkout in the same run.' : ''}\n\n${table(['command', 'median', 'p95', 'vs node -e 0'], rows)}\n`,
  );
} finally {
  for (const pid of spawned) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
}
