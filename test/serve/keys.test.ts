import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LocalBackend } from '../../src/backend/local.js';
import { API_KEY_PATTERN, hashApiKey, KeyRing, KeyRingError } from '../../src/serve/keys.js';
import { FileStore } from '../../src/store/file-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confab-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('creates confab-web-format keys, stores only their SHA-256, and shows each key once', async () => {
  const ring = await KeyRing.open(dir);
  const created = await ring.create('laptop', { user: 'alice' });
  expect(created.key).toMatch(API_KEY_PATTERN);
  expect(created.key).toHaveLength(44);
  expect(created).toMatchObject({ name: 'laptop', user: 'alice', user_id: 1, status: 'active' });
  const file = readFileSync(join(dir, 'keys.json'), 'utf8');
  expect(file).not.toContain(created.key);
  expect(file).toContain(hashApiKey(created.key));
  expect(hashApiKey(created.key)).toMatch(/^[0-9a-f]{64}$/);
  expect(statSync(join(dir, 'keys.json')).mode & 0o777).toBe(0o600);
  const listed = await ring.list();
  expect(listed).toEqual([{ id: created.id, name: 'laptop', user: 'alice', user_id: 1, status: 'active', created_at: created.created_at }]);
  expect(JSON.stringify(listed)).not.toContain('hash');
  const other = await ring.create('other', { user: 'bob' });
  expect(other.key).not.toBe(created.key);
  expect(other.user_id).toBe(2);
});

it("a key created without a user sees the sessions this machine's own daemons wrote into the store", async () => {
  const store = await FileStore.open(dir);
  try {
    // What a daemon on this machine does with the embedded backend.
    const local = new LocalBackend(store, dir);
    const mine = await local.init({ provider: 'claude-code', external_id: 'own-session', transcript_path: '/home/me/.claude/projects/p/own-session.jsonl' });
    await local.chunk({ session_id: mine.session_id, file_name: 'own-session.jsonl', file_type: 'transcript', first_line: 1, lines: ['{"type":"user"}'] });
    const theirs = await store.init('bob', { provider: 'claude-code', external_id: 'bob-session', transcript_path: '/home/bob/x.jsonl' });

    const ring = await KeyRing.open(dir);
    const me = await ring.create('me');
    const owner = (await ring.verify(me.key))?.owner;
    expect(owner).toBeDefined();
    expect((await store.listSessions(owner)).map((s) => s.session_id)).toEqual([mine.session_id]);
    // A key for someone else names its user, and sees only that user's sessions.
    const bob = await ring.create('bob-laptop', { user: 'bob' });
    expect((await store.listSessions((await ring.verify(bob.key))?.owner)).map((s) => s.session_id)).toEqual([theirs.session_id]);
    expect(bob.user_id).not.toBe(me.user_id);
  } finally {
    await store.close();
  }
});

it('verifies keys to their user; keys of one user share it', async () => {
  const ring = await KeyRing.open(dir);
  const a = await ring.create('desktop', { user: 'alice' });
  const b = await ring.create('laptop', { user: 'alice' });
  expect(b.user_id).toBe(a.user_id);
  expect(await ring.verify(a.key)).toMatchObject({ owner: 'alice', status: 'active', name: 'desktop' });
  expect(await ring.verify(b.key)).toMatchObject({ owner: 'alice', name: 'laptop' });
  expect(await ring.verify(`${a.key.slice(0, -1)}${a.key.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
  expect(await ring.verify('not-a-key')).toBeUndefined();
  await expect(ring.create('desktop', { user: 'alice' })).rejects.toBeInstanceOf(KeyRingError);
  await ring.create('desktop', { user: 'bob' });
});

it('revokes and changes status by id or name; another instance sees changes at once', async () => {
  const writer = await KeyRing.open(dir);
  const reader = await KeyRing.open(dir);
  const k = await writer.create('ci');
  expect((await reader.verify(k.key))?.status).toBe('active');
  await writer.setStatus('ci', 'deactivated');
  expect((await reader.verify(k.key))?.status).toBe('deactivated');
  await writer.setStatus(k.id, 'domain_restricted');
  expect((await reader.verify(k.key))?.status).toBe('domain_restricted');
  expect((await writer.revoke(k.id)).name).toBe('ci');
  expect(await reader.verify(k.key)).toBeUndefined();
  await expect(writer.revoke('ci')).rejects.toThrow(/no API key/);
  await writer.create('same', { user: 'u1' });
  await writer.create('same', { user: 'u2' });
  await expect(writer.revoke('same')).rejects.toThrow(/2 keys are named "same"/);
});

it('concurrent creations from several instances all land', async () => {
  const rings = await Promise.all(Array.from({ length: 5 }, () => KeyRing.open(dir)));
  const created = await Promise.all(rings.map((r, i) => r.create(`k${i}`)));
  const listed = await rings[0]!.list();
  expect(listed.map((k) => k.name).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
  for (const c of created) expect(await rings[0]!.verify(c.key)).toBeDefined();
});
