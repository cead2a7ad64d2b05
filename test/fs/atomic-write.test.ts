import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDirKeepingExisting, writeFileAtomic } from '../../src/fs/private-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confab-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

describe('writeFileAtomic', () => {
  it('replaces the file whole, 0600, in a private directory it creates', async () => {
    const file = join(dir, 'new', 'state.json');
    expect(await writeFileAtomic(file, '{"a":1}', { durable: true })).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}');
    expect(mode(file)).toBe(0o600);
    expect(mode(join(dir, 'new'))).toBe(0o700);
  });

  it('exclusive: creates a missing file, and leaves an existing one as it is (false), with no temp file behind', async () => {
    const file = join(dir, 'a.jsonl');
    expect(await writeFileAtomic(file, 'one\n', { exclusive: true, durable: true })).toBe(true);
    expect(mode(file)).toBe(0o600);
    expect(await writeFileAtomic(file, 'two\n', { exclusive: true })).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('one\n');
    expect(readdirSync(dir)).toEqual(['a.jsonl']);
  });

  it('ensureDirKeepingExisting makes the missing directories 0700 and leaves existing ones alone', async () => {
    const agentDir = join(dir, 'agent');
    mkdirSync(agentDir);
    chmodSync(agentDir, 0o755);
    await ensureDirKeepingExisting(join(agentDir, 'x', 'y'));
    expect(mode(agentDir)).toBe(0o755);
    expect(mode(join(agentDir, 'x'))).toBe(0o700);
    expect(mode(join(agentDir, 'x', 'y'))).toBe(0o700);
    await ensureDirKeepingExisting(agentDir);
    expect(mode(agentDir)).toBe(0o755);
  });

  it("leaves someone else's directory as it is when told to", async () => {
    const agentDir = join(dir, 'agent');
    mkdirSync(agentDir);
    chmodSync(agentDir, 0o755);
    await writeFileAtomic(join(agentDir, 'settings.json'), '{}', { ensureDir: false });
    expect(mode(agentDir)).toBe(0o755);
  });

  it('abandons the write when beforeCommit says no: the file as it was, no temp file left', async () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, 'theirs');
    let sawNewContentOnDisk = false;
    const committed = await writeFileAtomic(file, 'ours', {
      beforeCommit: () => {
        sawNewContentOnDisk = readdirSync(dir).some((name) => name !== 'settings.json' && readFileSync(join(dir, name), 'utf8') === 'ours');
        return false;
      },
    });
    expect(committed).toBe(false);
    expect(sawNewContentOnDisk).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('theirs');
    expect(readdirSync(dir)).toEqual(['settings.json']);
  });

  it('commits when beforeCommit agrees', async () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, 'theirs');
    expect(await writeFileAtomic(file, 'ours', { beforeCommit: async () => true })).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('ours');
    expect(readdirSync(dir)).toEqual(['settings.json']);
  });
});
