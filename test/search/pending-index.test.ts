import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { catchUpIndex, openStoreIndex } from '../../src/cli/search-index.js';
import { indexPathFor, SearchIndex } from '../../src/search/index-db.js';
import { IndexingStore } from '../../src/search/indexing-store.js';
import { catchUpPending, pendingDirOf, pendingSessions, withIndexLock } from '../../src/search/pending-index.js';
import { search } from '../../src/search/query.js';
import { FileStore } from '../../src/store/file-store.js';

let dir: string;
let storeDir: string;
let store: FileStore;
let saving: IndexingStore;

const userLine = (n: number, word: string) => JSON.stringify({ type: 'user', uuid: `u${n}`, timestamp: '2026-12-01T10:00:00.000Z', message: { role: 'user', content: `line ${n} says ${word}` } });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'confab-pending-'));
  storeDir = join(dir, 'store');
  store = await FileStore.open(storeDir);
  // What `confab save` opens: the store, marking instead of indexing.
  saving = new IndexingStore(store, { path: indexPathFor(storeDir), deferTo: storeDir });
});
afterEach(async () => {
  await saving.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newSession(externalId: string): Promise<string> {
  return (await saving.init('local', { provider: 'claude-code', external_id: externalId, transcript_path: `/p/${externalId}.jsonl` })).session_id;
}

async function append(sessionId: string, from: number, words: string[]): Promise<void> {
  await saving.appendChunk('local', {
    session_id: sessionId,
    file_name: 't.jsonl',
    file_type: 'transcript',
    first_line: from,
    lines: words.map((w, i) => userLine(from + i, w)),
  });
}

function hits(word: string): number[] {
  const index = SearchIndex.open(indexPathFor(storeDir));
  try {
    return search(index.db, word).map((h) => h.line);
  } finally {
    index.close();
  }
}

describe('deferred indexing (confab save)', () => {
  it('marks a stored session pending instead of indexing it; a catch-up indexes it and clears the mark', async () => {
    const id = await newSession('a');
    await append(id, 1, ['alpha', 'beta']);
    await saving.flush();
    expect(existsSync(indexPathFor(storeDir))).toBe(false);
    expect(pendingSessions(storeDir)).toEqual([id]);

    const counts = await catchUpPending(store, storeDir, indexPathFor(storeDir));
    expect(counts).toMatchObject({ sessions: 1, lines: 2, failed: 0 });
    expect(pendingSessions(storeDir)).toEqual([]);
    expect(hits('beta')).toEqual([2]);
    // Nothing pending: nothing read, not even the lock taken.
    expect(await catchUpPending(store, storeDir, indexPathFor(storeDir))).toMatchObject({ sessions: 0, lines: 0 });
  });

  it('keeps lines committed while a catch-up reads the store: they are indexed too', async () => {
    const id = await newSession('b');
    await append(id, 1, ['first']);
    // A save that commits the next chunk just as the catch-up reads the session.
    let interleaved = false;
    const racing = Object.create(store) as FileStore;
    racing.readFile = async (sessionId, fileName, afterLine) => {
      const data = await store.readFile(sessionId, fileName, afterLine);
      if (!interleaved) {
        interleaved = true;
        await append(id, 2, ['second']);
      }
      return data;
    };
    await catchUpPending(racing, storeDir, indexPathFor(storeDir));
    expect(interleaved).toBe(true);
    expect(hits('first')).toEqual([1]);
    expect(hits('second')).toEqual([2]);
    expect(pendingSessions(storeDir)).toEqual([]);
  });

  it('redoes the work of a catch-up that died after claiming a session', async () => {
    const id = await newSession('c');
    await append(id, 1, ['gamma']);
    const marker = join(pendingDirOf(storeDir), id);
    rmSync(marker);
    writeFileSync(`${marker}.claimed`, '');
    expect(pendingSessions(storeDir)).toEqual([id]);
    await catchUpPending(store, storeDir, indexPathFor(storeDir));
    expect(hits('gamma')).toEqual([1]);
    expect(readdirSync(pendingDirOf(storeDir))).toEqual([]);
  });

  it('a session the store cannot read stays pending; the others are indexed', async () => {
    const good = await newSession('d');
    const bad = await newSession('e');
    await append(good, 1, ['delta']);
    await append(bad, 1, ['epsilon']);
    const failing = Object.create(store) as FileStore;
    failing.getSession = async (sessionId, owner) => {
      if (sessionId === bad) throw new Error('unreadable');
      return store.getSession(sessionId, owner);
    };
    const counts = await catchUpPending(failing, storeDir, indexPathFor(storeDir));
    expect(counts.failed).toBe(1);
    expect(hits('delta')).toEqual([1]);
    expect(pendingSessions(storeDir)).toEqual([bad]);
    await catchUpPending(store, storeDir, indexPathFor(storeDir));
    expect(hits('epsilon')).toEqual([1]);
  });

  it('a search opens the index caught up with what was saved since', async () => {
    const id = await newSession('f');
    await append(id, 1, ['zeta']);
    // The index exists and is complete (an earlier search built it) ...
    expect((await catchUpIndex(storeDir)).sessions).toBe(1);
    expect(hits('zeta')).toEqual([1]);
    // ... then a save stores more.
    await append(id, 2, ['theta']);
    expect(hits('theta')).toEqual([]);
    const told: number[] = [];
    const index = await openStoreIndex(storeDir, undefined, (n) => told.push(n));
    try {
      expect(search(index.db, 'theta').map((h) => h.line)).toEqual([2]);
    } finally {
      index.close();
    }
    expect(told).toEqual([1]);
    expect(pendingSessions(storeDir)).toEqual([]);
  });

  it('waits for a catch-up running elsewhere, says so, then indexes what it left', async () => {
    const id = await newSession('g');
    await append(id, 1, ['iota']);
    await catchUpIndex(storeDir);
    await append(id, 2, ['kappa']);
    let release!: () => void;
    const running = withIndexLock(storeDir, () => new Promise<void>((r) => (release = r)));
    const told: string[] = [];
    const caughtUp = catchUpIndex(storeDir, { onWait: () => told.push('waiting'), onPending: (n) => told.push(`pending ${n}`) });
    await vi.waitFor(() => expect(told).toEqual(['pending 1', 'waiting']));
    expect(hits('kappa')).toEqual([]);
    release();
    await running;
    expect((await caughtUp).lines).toBe(1);
    expect(hits('kappa')).toEqual([2]);
  });

  it('a marker that cannot be written fails the index update, never the stored chunk', async () => {
    const other = await FileStore.open(join(dir, 'other'));
    // The pending directory's place is taken by a file: no marker can be written.
    writeFileSync(join(dir, 'other', 'index-pending'), '');
    const errors: unknown[] = [];
    const deferred = new IndexingStore(other, { path: indexPathFor(join(dir, 'other')), deferTo: join(dir, 'other'), onError: (e) => errors.push(e) });
    try {
      const init = await deferred.init('local', { provider: 'claude-code', external_id: 'h', transcript_path: '/p/h.jsonl' });
      await deferred.appendChunk('local', { session_id: init.session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: 1, lines: [userLine(1, 'lambda')] });
      expect((await other.readFile(init.session_id, 't.jsonl')).toString()).toBe(`${userLine(1, 'lambda')}\n`);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await deferred.close();
    }
  });
});
