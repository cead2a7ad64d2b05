// A Claude Code session's daemon started the way the agent starts it (the real hook), in a
// home of its own, for benchmarks that measure the daemon process.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingEnv } from './startup.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Write `transcriptText` as session `id` under `home` (with `config`, if given, as
 * ~/.confab/config.json), run `entry`'s session-start hook, and return the daemon's pid and
 * what the session's next commands need. No CONFAB_* variable of this process leaks in.
 */
export function startSessionDaemon({ entry, home, id, transcriptText, config }) {
  const project = join(home, '.claude', 'projects', '-work-app');
  mkdirSync(project, { recursive: true });
  mkdirSync(join(home, '.confab'), { recursive: true, mode: 0o700 });
  if (config) writeFileSync(join(home, '.confab', 'config.json'), JSON.stringify(config), { mode: 0o600 });
  const env = timingEnv({ HOME: home });
  for (const k of Object.keys(env)) if (k.startsWith('CONFAB_')) delete env[k];
  const transcript = join(project, `${id}.jsonl`);
  writeFileSync(transcript, transcriptText);
  const payload = (event, extra = {}) => JSON.stringify({ session_id: id, transcript_path: transcript, cwd: '/work/app', hook_event_name: event, ...extra });
  const hook = spawnSync(process.execPath, [entry, 'hook', 'session-start'], { env, input: payload('SessionStart'), encoding: 'utf8' });
  if (hook.status !== 0) throw new Error(hook.stderr);
  const pid = JSON.parse(readFileSync(join(home, '.confab', 'sync', 'claude-code', `${id}.json`), 'utf8')).pid;
  return { pid, env, payload };
}

/**
 * Poll `confab list --json` until the session shows `lines` lines, all synced; `onPoll` runs
 * before each look (to sample the daemon).
 */
export async function waitUntilSynced({ entry, env, id, lines, what, timeoutMs = 120_000, pollMs = 500, onPoll }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    onPoll?.();
    const list = spawnSync(process.execPath, [entry, 'list', '--json'], { env, encoding: 'utf8' });
    const sync = list.status === 0 ? JSON.parse(list.stdout).sessions.find((s) => s.id === id)?.sync : undefined;
    if (sync && sync.localLines === lines && sync.syncedLines === sync.localLines) return;
    if (Date.now() > deadline) throw new Error(`${what}: the daemon did not sync within ${timeoutMs / 1000} s`);
    await sleep(pollMs);
  }
}
