import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type Server } from '../serve/api-helpers.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { useSandbox, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();
let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface ListOut {
  sessions: { id: string; sync: { state: string; localLines: number; syncedLines: number; reason?: string } }[];
}

function config(sbx: Sandbox): { backend_url: string; api_key: string } {
  return JSON.parse(readFileSync(join(sbx.confabDir, 'config.json'), 'utf8')) as { backend_url: string; api_key: string };
}

/** Three finished sessions on disk (a real transcript with a sub-agent each). */
function sessions(sbx: Sandbox): ReplayedClaudeSession[] {
  return ['a', 'b', 'c'].map((c, i) => {
    const s = new ReplayedClaudeSession(sbx.claudeDir, { sessionId: `${c.repeat(8)}-0000-4000-8000-00000000000${i}` });
    s.appendRest();
    return s;
  });
}

async function loggedIn(sbx: Sandbox): Promise<Server> {
  server = await startServer();
  const res = await sbx.run(['login', '--backend-url', server.base, '--api-key', '-'], { input: server.alice });
  expect(res.code).toBe(0);
  return server;
}

describe('against a confab-web compatible server', () => {
  it('login validates the key (read from stdin) and stores it 0600; a rejected key changes nothing', async () => {
    const sbx = sandbox();
    server = await startServer();
    const bad = await sbx.run(['login', '--backend-url', server.base, '--api-key', '-'], { input: `cfb_${'x'.repeat(40)}` });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain(`${server.base} rejected the API key`);

    const res = await sbx.run(['login', '--backend-url', `${server.base}/`, '--api-key', '-'], { input: `${server.alice}\n` });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Logged in to ${server.base} as alice@localhost`);
    expect(config(sbx)).toMatchObject({ backend_url: server.base, api_key: server.alice });
    expect(statSync(join(sbx.confabDir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(res.stdout + res.stderr).not.toContain(server.alice);

    const malformed = await sbx.run(['login', '--backend-url', server.base, '--api-key', '-'], { input: 'not-a-key' });
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('is not a confab API key');
  });

  it('status checks the key live; after logout only the key is gone', async () => {
    const sbx = sandbox();
    const srv = await loggedIn(sbx);
    const status = JSON.parse((await sbx.run(['status', '--json'])).stdout) as { backend: Record<string, unknown> };
    expect(status.backend).toMatchObject({ kind: 'http', url: srv.base, key: 'valid', source: 'user', user: { email: 'alice@localhost' } });

    await srv.keys.revoke('alice-desktop');
    const revoked = JSON.parse((await sbx.run(['status', '--json'])).stdout) as { backend: Record<string, unknown> };
    expect(revoked.backend).toMatchObject({ kind: 'http', key: 'invalid' });

    const out = await sbx.run(['logout']);
    expect(out.code).toBe(0);
    expect(config(sbx)).toMatchObject({ backend_url: srv.base, api_key: '' });
    const after = await sbx.run(['status']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`run confab login --backend-url ${srv.base}`);
  });

  it('setup reuses a stored key that still works, and installs the hooks', async () => {
    const sbx = sandbox();
    const srv = await loggedIn(sbx);
    mkdirSync(sbx.claudeDir, { recursive: true });
    const res = await sbx.run(['setup', '--backend-url', srv.base]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Sessions go to ${srv.base} (already logged in as alice@localhost`);
    expect(res.stdout).toContain('Claude Code: installed hooks');
    expect(res.stderr).toContain('Undo with: confab hooks remove && confab logout');
    // No device login was started.
    expect(res.stderr).not.toContain('To log in');
  });

  it('list shows synced / partial / not synced; save uploads; session list-files and download read it back', async () => {
    const sbx = sandbox();
    const srv = await loggedIn(sbx);
    const [a, b, c] = sessions(sbx) as [ReplayedClaudeSession, ReplayedClaudeSession, ReplayedClaudeSession];

    const save = await sbx.run(['save', a.sessionId.slice(0, 8), b.sessionId, '--json']);
    expect(save.code).toBe(0);
    expect(JSON.parse(save.stdout)).toMatchObject({ sessions: 2, uploaded: 2, errors: 0 });
    b.appendRaw('main', JSON.stringify({ type: 'last-prompt', lastPrompt: 'more', sessionId: b.sessionId }));
    b.appendRaw('agent', JSON.stringify({ type: 'assistant', isSidechain: true, message: { role: 'assistant', content: 'late' } }));

    const list = await sbx.run(['list', '--json']);
    expect(list.code).toBe(0);
    const byId = new Map((JSON.parse(list.stdout) as ListOut).sessions.map((s) => [s.id, s.sync]));
    expect(byId.get(a.sessionId)).toMatchObject({ state: 'synced', localLines: 90, syncedLines: 90 });
    expect(byId.get(b.sessionId)).toMatchObject({ state: 'partial', localLines: 92, syncedLines: 90 });
    expect(byId.get(c.sessionId)).toMatchObject({ state: 'not-synced' });
    expect((await sbx.run(['list'])).stdout).toMatch(new RegExp(`^${b.sessionId.slice(0, 8)}\\s.*partial 90/92$`, 'm'));

    // Resuming: only the two new lines go.
    const again = await sbx.run(['save', '--all', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ sessions: 3, uploaded: 2, upToDate: 1, lines: 90 + 2 });

    const files = await sbx.run(['session', 'list-files', b.sessionId, '--json']);
    expect(files.code).toBe(0);
    const listed = JSON.parse(files.stdout) as { backend: string; files: { name: string; lines: number }[] };
    expect(listed.backend).toBe(srv.base);
    expect(listed.files.map((f) => [f.name, f.lines]).sort()).toEqual([
      [`agent-${b.agentId}.jsonl`, 26],
      [`${b.sessionId}.jsonl`, 66],
    ]);

    const dir = sbx.dir('dl');
    const dl = await sbx.run(['session', 'download', b.sessionId, '--output-dir', dir]);
    expect(dl.code).toBe(0);
    expect(readFileSync(join(dir, `${b.sessionId}.jsonl`))).toEqual(readFileSync(b.transcriptPath));
    expect(readFileSync(join(dir, `agent-${b.agentId}.jsonl`))).toEqual(readFileSync(b.agentPath));
    expect(statSync(join(dir, `${b.sessionId}.jsonl`)).mode & 0o777).toBe(0o600);

    const prefix = await sbx.run(['session', 'download', b.sessionId.slice(0, 8)]);
    expect(prefix.code).toBe(1);
    expect(prefix.stderr).toContain('a server needs the full session id or external id');
  });

  it('list degrades gracefully when the server is down: unknown, one warning', async () => {
    const sbx = sandbox();
    const srv = await loggedIn(sbx);
    sessions(sbx);
    await srv.close();
    server = undefined;
    // No retry loop against a refused connection: one try per command, one warning.
    const list = await sbx.run(['list', '--json']);
    expect(list.code).toBe(0);
    const out = JSON.parse(list.stdout) as ListOut;
    expect(out.sessions).toHaveLength(3);
    expect(out.sessions.every((s) => s.sync.state === 'unknown' && /backend unreachable/.test(s.sync.reason ?? ''))).toBe(true);

    const table = await sbx.run(['list']);
    expect(table.stderr.match(/backend unreachable/g)).toHaveLength(1);
    expect(table.stdout).toMatch(/unknown$/m);

    const status = JSON.parse((await sbx.run(['status', '--json'])).stdout) as { backend: Record<string, unknown> };
    expect(status.backend).toMatchObject({ kind: 'http', key: 'unreachable' });

    const save = await sbx.run(['save', '--all']);
    expect(save.code).toBe(1);
    expect(save.stderr).toMatch(/failed: .*(ECONNREFUSED|connect|network)/i);
  });

  it('restore brings a session deleted on disk back from the server, where Claude Code keeps it (the server records the transcript path)', async () => {
    const sbx = sandbox();
    await loggedIn(sbx);
    // A project dir that is not the cwd encoded: only the recorded transcript path tells it.
    const a = new ReplayedClaudeSession(sbx.claudeDir, { project: '-work-app-renamed' });
    a.appendRest();
    expect((await sbx.run(['save', a.sessionId])).code).toBe(0);
    const transcript = readFileSync(a.transcriptPath);
    const agent = readFileSync(a.agentPath);
    rmSync(a.transcriptPath);
    rmSync(a.transcriptPath.replace(/\.jsonl$/, ''), { recursive: true });

    const res = await sbx.run(['restore', a.sessionId, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(a.transcriptPath)).toEqual(transcript);
    expect(readFileSync(a.agentPath)).toEqual(agent);
    expect((JSON.parse(res.stdout) as { files: { status: string }[] }).files.map((f) => f.status)).toEqual(['written', 'written']);
  });
});
