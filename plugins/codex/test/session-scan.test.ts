import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codex } from '../src/index.js';
import {
  CHILD_ID,
  childRolloutLines,
  makeCodexHome,
  OTHER_ROOT_ID,
  rootRolloutLines,
  ROOT_ID,
  sessionMetaLine,
  turnContextLine,
  userItemCompleted,
  writeRollout,
} from './fixtures.js';

describe('Codex session scan (list / save)', () => {
  it('lists root sessions only, newest first, with title, cwd, size and last activity', async () => {
    const home = makeCodexHome();
    const older = writeRollout(home.sessions, ROOT_ID, rootRolloutLines('  Refactor the <b>parser</b>\n please '));
    const child = writeRollout(home.sessions, CHILD_ID, childRolloutLines(CHILD_ID, ROOT_ID), '2026-06-21', '06-06-42');
    const newer = writeRollout(home.sessions, OTHER_ROOT_ID, [sessionMetaLine({ id: OTHER_ROOT_ID, cwd: '/work/other', source: 'exec' }), turnContextLine(), userItemCompleted('write docs')], '2026-06-22', '09-00-00');
    const untitled = writeRollout(home.sessions, '019e9999-0000-7000-8000-000000000001', [sessionMetaLine({ id: '019e9999-0000-7000-8000-000000000001', cwd: '/work/quiet' })], '2026-06-20', '08-00-00');
    writeFileSync(join(home.sessions, '2026', '06', '21', 'rollout-2026-06-21T10-00-00-019e9999-0000-7000-8000-00000000000f.jsonl'), '{"type":"event_msg","payload":{}}\n');
    writeFileSync(join(home.sessions, '2026', '06', '21', 'notes.jsonl'), sessionMetaLine({ id: ROOT_ID }) + '\n');
    utimesSync(untitled, new Date('2026-06-20T08:00:00Z'), new Date('2026-06-20T08:00:00Z'));
    utimesSync(older, new Date('2026-06-21T07:00:00Z'), new Date('2026-06-21T07:00:00Z'));
    utimesSync(child, new Date('2026-06-23T07:00:00Z'), new Date('2026-06-23T07:00:00Z'));
    utimesSync(newer, new Date('2026-06-22T09:30:00Z'), new Date('2026-06-22T09:30:00Z'));

    const sessions = await codex.sessions!.scan();
    expect(sessions.map((s) => s.externalId)).toEqual([OTHER_ROOT_ID, ROOT_ID, '019e9999-0000-7000-8000-000000000001']);
    const [first, second, third] = sessions;
    expect(first).toMatchObject({ provider: 'codex', transcriptPath: newer, cwd: '/work/other', project: '/work/other', title: 'write docs' });
    expect(first!.lastActivity.toISOString()).toBe('2026-06-22T09:30:00.000Z');
    expect(second).toMatchObject({ transcriptPath: older, cwd: '/work/example', title: 'Refactor the parser please' });
    expect(second!.sizeBytes).toBe(Buffer.byteLength(rootRolloutLines('  Refactor the <b>parser</b>\n please ').map((l) => `${l}\n`).join('')));
    expect(third!.title).toBeUndefined();
  });

  it('finds nothing when Codex has no sessions directory', async () => {
    makeCodexHome();
    expect(await codex.sessions!.scan()).toEqual([]);
  });
});
