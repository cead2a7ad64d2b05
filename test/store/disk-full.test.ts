import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { StoreError } from '../../src/backend/store.js';
import { FileStore } from '../../src/store/file-store.js';

// A real full disk: a 512 KiB tmpfs. Mounting needs root (as on CI); elsewhere the
// injected-failure test in file-store.test.ts covers the same path.
const root = mkdtempSync(join(tmpdir(), 'confab-full-'));
const mnt = join(root, 'mnt');
mkdirSync(mnt);
const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', mnt]).status === 0;

afterAll(() => {
  if (mounted) spawnSync('umount', [mnt]);
  rmSync(root, { recursive: true, force: true });
});

it.skipIf(!mounted)('answers 507 on a full disk, commits nothing partial, and keeps working once space is freed', async () => {
  const store = await FileStore.open(join(mnt, 'store'), { chunkLimit: false });
  const { session_id } = await store.init('local', { provider: 'claude-code', external_id: 'full', transcript_path: '/t' });
  const line = (n: number) => JSON.stringify({ n, pad: 'p'.repeat(3000) });
  let next = 1;
  let refusal: StoreError | undefined;
  for (let i = 0; i < 200 && !refusal; i++) {
    const lines = Array.from({ length: 10 }, (_, k) => line(next + k));
    try {
      await store.appendChunk('local', { session_id, file_name: 'big.jsonl', file_type: 'agent', first_line: next, lines });
      next += lines.length;
    } catch (err) {
      refusal = err as StoreError;
    }
  }
  expect(refusal).toBeInstanceOf(StoreError);
  expect(refusal!.status).toBe(507);
  expect(refusal!.message).toBe('Insufficient storage: no space left on device');
  // A fresh process sees exactly the acknowledged lines.
  const check = async () => {
    const fresh = await FileStore.open(join(mnt, 'store'));
    const held = await fresh.readFile(session_id, 'big.jsonl');
    const info = (await fresh.getSession(session_id))!.files[0]!;
    expect(info.last_synced_line).toBe(next - 1);
    expect(held.length).toBe(info.bytes);
    // Nothing uncommitted keeps space on the full disk.
    const files = join(mnt, 'store', 'sessions', session_id, 'files');
    const data = readdirSync(files).filter((n) => n.endsWith('.jsonl'));
    expect(data).toHaveLength(1);
    expect(statSync(join(files, data[0]!)).size).toBe(info.bytes);
    expect(held.toString()).toBe(Array.from({ length: next - 1 }, (_, i) => line(i + 1)).join('\n') + '\n');
  };
  await check();
  // Another session's small write may still fit or fail cleanly, never corrupting this one.
  await store.init('local', { provider: 'claude-code', external_id: 'other', transcript_path: '/t' }).catch((err: StoreError) => expect(err.status).toBe(507));
  await check();
  // Once there is room again, the file continues exactly where it was.
  spawnSync('mount', ['-o', 'remount,size=4m', mnt]);
  const lines = [line(next)];
  expect(await store.appendChunk('local', { session_id, file_name: 'big.jsonl', file_type: 'agent', first_line: next, lines })).toEqual({ last_synced_line: next });
  next += 1;
  await check();
});
