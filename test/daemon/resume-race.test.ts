import { rmSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type * as Liveness from '../../src/daemon/liveness.js';
import { pendingPath, recordPending } from '../../src/daemon/pending.js';
import type * as Spawn from '../../src/daemon/spawn.js';

// The window: a hook lists pending records, and the daemon a SessionEnd stopped finishes its
// final sync (removing its record, then exiting) before the hook checks whether it still runs.
const finishing = vi.hoisted(() => ({ pid: 0, onCheck: () => {} }));
vi.mock('../../src/daemon/liveness.js', async (importOriginal) => {
  const real = await importOriginal<typeof Liveness>();
  return {
    ...real,
    isSameProcessAlive: (pid: number, start?: string) => {
      if (pid !== finishing.pid) return real.isSameProcessAlive(pid, start);
      finishing.onCheck();
      return false;
    },
  };
});
const spawned = vi.hoisted(() => [] as unknown[]);
vi.mock('../../src/daemon/spawn.js', async (importOriginal) => ({
  ...(await importOriginal<typeof Spawn>()),
  spawnDaemon: (launch: unknown) => {
    spawned.push(launch);
    return 999_999;
  },
}));

const { resumePendingSessions } = await import('../../src/daemon/resume.js');

describe('resuming pending sessions', () => {
  it('starts nothing for a stopped daemon that finished between the listing and the liveness check', async () => {
    finishing.pid = 2_000_000;
    recordPending({ provider: 'claude-code', external_id: 'race-1', transcript_path: '/t.jsonl', cwd: '/w', reason: 'stopping', daemon_pid: finishing.pid, daemon_start_time: '1' });
    finishing.onCheck = () => rmSync(pendingPath('claude-code', 'race-1'));
    expect(await resumePendingSessions()).toEqual([]);
    expect(spawned).toEqual([]);
  });

  it('resumes a session whose stopped daemon died with its record still there', async () => {
    spawned.length = 0;
    finishing.pid = 2_000_001;
    recordPending({ provider: 'claude-code', external_id: 'race-2', transcript_path: '/t.jsonl', cwd: '/w', reason: 'stopping', daemon_pid: finishing.pid, daemon_start_time: '1' });
    finishing.onCheck = () => {};
    expect((await resumePendingSessions()).map((r) => r.external_id)).toEqual(['race-2']);
    expect(spawned).toHaveLength(1);
  });
});
