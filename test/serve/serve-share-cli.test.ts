import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { useSandbox } from '../helpers/sandbox.js';
import { startServe } from './serve-process.js';

const sandbox = useSandbox();

const EXTERNAL_ID = '5d1f6a0e-2b7c-4c3d-9e8f-0a1b2c3d4e5f';

/** One session of user `local` in the sandbox's default store, with one user turn. */
async function seedStore(dir: string): Promise<string> {
  const store = await FileStore.open(dir);
  try {
    const { session_id } = await store.init('local', { provider: 'claude-code', external_id: EXTERNAL_ID, transcript_path: `/home/u/.claude/projects/p/${EXTERNAL_ID}.jsonl` });
    const line = JSON.stringify({ type: 'user', message: { role: 'user', content: 'shared words from the CLI test' }, uuid: 'u1', timestamp: '2026-03-01T10:00:00.000Z' });
    await store.appendChunk('local', { session_id, file_name: `${EXTERNAL_ID}.jsonl`, file_type: 'transcript', first_line: 1, lines: [line] });
    return session_id;
  } finally {
    await store.close();
  }
}

describe('confab serve share', () => {
  it('creates a link a running server answers at once, lists it without its token, and revokes it (404 on the next request)', async () => {
    const sbx = sandbox();
    const storeDir = join(sbx.confabDir, 'store');
    const sessionId = await seedStore(storeDir);
    expect((await sbx.run(['serve', 'keys', 'create', 'me'])).code).toBe(0);
    const server = await startServe(sbx);
    let token: string | undefined;
    try {
      const created = await sbx.run(['serve', 'share', 'create', EXTERNAL_ID, '--expires', '7d', '--url', `${server.url}/`]);
      expect(created.code).toBe(0);
      const url = created.stdout.trim();
      expect(url).toMatch(new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{43}$`));
      token = url.split('/s/')[1]!;
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('shared words from the CLI test');

      const file = join(storeDir, 'shares.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).not.toContain(token);
      const list = await sbx.run(['serve', 'share', 'list', '--json']);
      const { shares } = JSON.parse(list.stdout) as { shares: { id: string; session_id: string; owner: string; expires_at?: string; expired: boolean }[] };
      expect(shares).toEqual([expect.objectContaining({ session_id: sessionId, owner: 'local', expired: false })]);
      expect(Date.parse(shares[0]!.expires_at!)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
      expect(list.stdout).not.toContain(token);

      const revoked = await sbx.run(['serve', 'share', 'revoke', shares[0]!.id]);
      expect(revoked.code).toBe(0);
      expect((await fetch(url)).status).toBe(404);
      expect(JSON.parse((await sbx.run(['serve', 'share', 'list', '--json'])).stdout)).toEqual({ shares: [] });
    } finally {
      server.stop();
    }
    // The request log has the shared page's requests, never the token.
    const log = readFileSync(join(sbx.confabDir, 'logs', 'serve.log'), 'utf8');
    expect(log).toContain('"path":"/s/…"');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(log).not.toContain(token!);
  }, 60_000);

  it('refuses an unknown session, a bad expiry or an unknown link with one line', async () => {
    const sbx = sandbox();
    await seedStore(join(sbx.confabDir, 'store'));
    for (const args of [
      ['serve', 'share', 'create', 'no-such-session'],
      ['serve', 'share', 'create', EXTERNAL_ID, '--expires', 'soon'],
      ['serve', 'share', 'revoke', 'nope'],
    ]) {
      const res = await sbx.run(args);
      expect(res.code, args.join(' ')).not.toBe(0);
      expect(res.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
