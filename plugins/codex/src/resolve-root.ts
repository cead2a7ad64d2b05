import type { SessionHookInput } from 'confab-cli/provider';
import { basename } from 'node:path';
import { sessionsDir } from './codex-dir.js';
import { readSessionMetaSoon, type WaitOptions } from './rollout-files.js';
import { isUserSession, threadIdOfRolloutName } from './rollout.js';
import { RolloutCatalog, walkUpToRoot } from './thread-tree.js';

/**
 * Codex fires SessionStart for sub-agents too, with the sub-agent's own thread and rollout.
 * One daemon serves a whole tree, keyed by the root thread, so a hook's session is first
 * mapped to its root.
 */

/** SessionStart may come a few ms before the rollout's first line: wait up to ~250 ms for it. */
export const ROLLOUT_WAIT: WaitOptions = { retries: 5, intervalMs: 50 };

export interface RootOptions {
  sessions?: string;
  wait?: WaitOptions;
}

/** `Provider.resolveRoot`: the input re-keyed to the root thread (id, rollout, cwd). */
export async function resolveRootInput(input: SessionHookInput, opts: RootOptions = {}): Promise<SessionHookInput> {
  if (!input.transcriptPath) return input;
  const res = await readSessionMetaSoon(input.transcriptPath, opts.wait ?? ROLLOUT_WAIT);
  if (res.status !== 'ok' || res.meta.parentThreadId === undefined) return input;
  const threadId = threadIdOfRolloutName(basename(input.transcriptPath)) ?? input.sessionId;
  const catalog = new RolloutCatalog(opts.sessions ?? sessionsDir());
  const root = await walkUpToRoot(catalog, { path: input.transcriptPath, threadId, meta: res.meta });
  if (root.path === input.transcriptPath) return input;
  return { ...input, sessionId: root.threadId, transcriptPath: root.path, cwd: root.meta.cwd ?? input.cwd };
}

/**
 * `Provider.shouldSpawn`: only sessions a person started get a daemon. A rollout that is
 * still not there spawns anyway (the daemon waits for it); one that cannot be read, or
 * holds no session_meta, does not.
 */
export async function isUserRollout(input: SessionHookInput, opts: RootOptions = {}): Promise<boolean> {
  if (!input.transcriptPath) return false;
  let res;
  try {
    res = await readSessionMetaSoon(input.transcriptPath, opts.wait ?? ROLLOUT_WAIT);
  } catch {
    return false;
  }
  if (res.status === 'ok') return isUserSession(res.meta);
  return res.status !== 'none';
}
