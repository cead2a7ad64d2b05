import type { SessionHookInput, TrackedFileSpec } from 'confab-cli/provider';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { isUserRollout, resolveRootInput } from '../src/resolve-root.js';
import { RolloutCatalog, walkUpToRoot } from '../src/thread-tree.js';
import { codex } from '../src/index.js';
import {
  appendLines,
  CHILD_ID,
  childRolloutLines,
  GRANDCHILD_ID,
  LATE_CHILD_ID,
  makeCodexHome,
  OTHER_ROOT_ID,
  rolloutPath,
  rootRolloutLines,
  ROOT_ID,
  sessionMetaLine,
  spawnLines,
  writeRollout,
  type CodexHome,
} from './fixtures.js';
import { createHarness, transcriptSpec } from './harness.js';

let home: CodexHome;
let rootPath: string;

beforeEach(() => {
  home = makeCodexHome();
  rootPath = writeRollout(home.sessions, ROOT_ID, rootRolloutLines());
});

/** root → child → grandchild, plus an unrelated session with its own sub-agent the same day. */
function writeThreeLevelTree(): { child: string; grandchild: string } {
  const child = writeRollout(home.sessions, CHILD_ID, childRolloutLines(CHILD_ID, ROOT_ID), '2026-06-21', '06-06-42');
  const grandchild = writeRollout(home.sessions, GRANDCHILD_ID, childRolloutLines(GRANDCHILD_ID, CHILD_ID, { depth: 2, nickname: 'Noether' }), '2026-06-21', '06-07-10');
  writeRollout(home.sessions, OTHER_ROOT_ID, [sessionMetaLine({ id: OTHER_ROOT_ID })], '2026-06-21', '07-00-00');
  writeRollout(home.sessions, '019e8c41-0000-7000-8000-000000000009', childRolloutLines('019e8c41-0000-7000-8000-000000000009', OTHER_ROOT_ID), '2026-06-21', '07-00-05');
  return { child, grandchild };
}

function session(): { externalId: string; transcriptPath: string; cwd: string } {
  return { externalId: ROOT_ID, transcriptPath: rootPath, cwd: '/work/example' };
}

describe('the thread tree, from rollout session_meta lines', () => {
  it('finds every descendant of a root, three levels deep, and nothing from other trees', async () => {
    const { child, grandchild } = writeThreeLevelTree();
    const catalog = new RolloutCatalog(home.sessions);
    const found = await catalog.descendantsOf(ROOT_ID, catalog.dayOf(rootPath));
    expect(found.map((r) => r.path)).toEqual([child, grandchild]);
    expect(found.map((r) => r.meta.parentThreadId)).toEqual([ROOT_ID, CHILD_ID]);
  });

  it('registers descendants as agent files named after their rollouts, next to the transcript', async () => {
    const { child, grandchild } = writeThreeLevelTree();
    const h = createHarness(session());
    const tracked = new Map([[basename(rootPath), transcriptSpec(rootPath)]]);
    const files = await h.discover(tracked);
    expect(files).toEqual([
      transcriptSpec(rootPath),
      { path: child, name: basename(child), type: 'agent' },
      { path: grandchild, name: basename(grandchild), type: 'agent' },
    ]);
    // Idempotent: discovering again with everything tracked adds nothing.
    const again = await h.discover(new Map(files.map((f) => [f.name, f])));
    expect(again).toEqual(files);
  });

  it('picks up a sub-agent that appears mid-session, including one filed under the next day', async () => {
    const h = createHarness(session());
    const tracked = new Map<string, TrackedFileSpec>([[basename(rootPath), transcriptSpec(rootPath)]]);
    expect(await h.discover(tracked)).toHaveLength(1);

    appendLines(rootPath, spawnLines(LATE_CHILD_ID, 'Sartre', 'call_spawn_2'));
    const late = writeRollout(home.sessions, LATE_CHILD_ID, childRolloutLines(LATE_CHILD_ID, ROOT_ID, { nickname: 'Sartre' }), '2026-06-22', '00-00-03');
    const files = await h.discover(tracked);
    expect(files.map((f) => f.path)).toEqual([rootPath, late]);
  });

  it('waits for a sub-agent rollout whose first line is still being written', async () => {
    const h = createHarness(session());
    const tracked = new Map<string, TrackedFileSpec>([[basename(rootPath), transcriptSpec(rootPath)]]);
    const path = rolloutPath(home.sessions, CHILD_ID, '2026-06-21', '06-06-42');
    const full = childRolloutLines(CHILD_ID, ROOT_ID);
    writeFileSync(path, (full[0] as string).slice(0, 200));
    expect(await h.discover(tracked)).toHaveLength(1);
    writeFileSync(path, full.map((l) => `${l}\n`).join(''));
    expect((await h.discover(tracked)).map((f) => f.path)).toEqual([rootPath, path]);
  });

  it('re-resolves the local path of a file the engine tracks under a wrong path (after a restart)', async () => {
    const { child } = writeThreeLevelTree();
    const h = createHarness(session());
    const wrong: TrackedFileSpec = { path: `${rootPath.slice(0, -'.jsonl'.length)}/subagents/${basename(child)}`, name: basename(child), type: 'agent' };
    const tracked = new Map<string, TrackedFileSpec>([
      [basename(rootPath), transcriptSpec(rootPath)],
      [wrong.name, wrong],
    ]);
    const files = await h.discover(tracked);
    expect(files.find((f) => f.name === wrong.name)).toEqual({ path: child, name: wrong.name, type: 'agent' });
    expect(files).toHaveLength(3);
  });

  it('walks up from a grandchild to the root', async () => {
    const { grandchild } = writeThreeLevelTree();
    const catalog = new RolloutCatalog(home.sessions);
    const start = await catalog.record(grandchild);
    const root = await walkUpToRoot(catalog, start!);
    expect(root.path).toBe(rootPath);
    expect(root.threadId).toBe(ROOT_ID);
  });

  it('stops at the highest ancestor on disk, and on a cycle', async () => {
    const orphan = writeRollout(home.sessions, GRANDCHILD_ID, childRolloutLines(GRANDCHILD_ID, CHILD_ID, { depth: 2 }));
    const catalog = new RolloutCatalog(home.sessions);
    expect((await walkUpToRoot(catalog, (await catalog.record(orphan))!)).path).toBe(orphan);

    const a = '019e9000-0000-7000-8000-00000000000a';
    const b = '019e9000-0000-7000-8000-00000000000b';
    const pa = writeRollout(home.sessions, a, childRolloutLines(a, b));
    writeRollout(home.sessions, b, childRolloutLines(b, a));
    const top = await walkUpToRoot(catalog, (await catalog.record(pa))!);
    expect([a, b]).toContain(top.threadId);
  });
});

describe('hook sessions map to their root', () => {
  const input = (sessionId: string, transcriptPath: string): SessionHookInput => ({
    sessionId,
    transcriptPath,
    cwd: '/elsewhere',
    hookEventName: 'SessionStart',
    payload: { session_id: sessionId, transcript_path: transcriptPath },
  });
  const fast = { wait: { retries: 0, intervalMs: 1 } };

  it('resolves a sub-agent SessionStart to the root thread, rollout and cwd; a root stays itself', async () => {
    const { child, grandchild } = writeThreeLevelTree();
    for (const [id, path] of [
      [CHILD_ID, child],
      [GRANDCHILD_ID, grandchild],
    ] as const) {
      const resolved = await codex.resolveRoot!(input(id, path));
      expect(resolved).toMatchObject({ sessionId: ROOT_ID, transcriptPath: rootPath, cwd: '/work/example', payload: { session_id: id } });
    }
    const same = input(ROOT_ID, rootPath);
    expect(await resolveRootInput(same, fast)).toBe(same);
  });

  it('waits for a sub-agent rollout written just after its SessionStart', async () => {
    const path = rolloutPath(home.sessions, CHILD_ID, '2026-06-21', '06-06-42');
    setTimeout(() => writeRollout(home.sessions, CHILD_ID, childRolloutLines(CHILD_ID, ROOT_ID), '2026-06-21', '06-06-42'), 40);
    const resolved = await resolveRootInput(input(CHILD_ID, path), { wait: { retries: 50, intervalMs: 10 } });
    expect(resolved.sessionId).toBe(ROOT_ID);
  });

  it('spawns daemons for user sessions only; a rollout not written yet spawns optimistically', async () => {
    const { child } = writeThreeLevelTree();
    expect(await codex.shouldSpawn!(input(ROOT_ID, rootPath))).toBe(true);
    expect(await isUserRollout(input(CHILD_ID, child), fast)).toBe(false);
    expect(await isUserRollout(input(LATE_CHILD_ID, rolloutPath(home.sessions, LATE_CHILD_ID)), fast)).toBe(true);
    expect(await isUserRollout(input(ROOT_ID, ''), fast)).toBe(false);
  });
});
