import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLocalBackend, type LocalBackend } from '../../src/backend/local.js';
import { formatAgo, formatBytes, parseDuration, truncate } from '../../src/cli/format.js';
import { countLines, findSession, type FoundSession } from '../../src/cli/local-sessions.js';
import { localPathFor } from '../../src/cli/session-files.js';
import { saveSessions } from '../../src/cli/save.js';
import type { SessionRouter } from '../../src/cli/session-router.js';
import { resolveSettings, type Settings } from '../../src/config/settings.js';
import type { DaemonHooks } from '../../src/extension/daemon-hooks.js';
import { syncSessionOnce } from '../../src/compose/one-shot.js';
import { getProvider } from '../../src/provider/registry.js';
import { SyncEngine } from '../../src/sync/engine.js';
import type { LocalSession, Provider } from '../../src/provider/contract.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { useTempHome } from '../helpers/sandbox.js';

describe('formatting and parsing', () => {
  it('parses Go-style durations and refuses anything else', () => {
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('5d')).toBe(5 * 86_400_000);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('2W')).toBe(14 * 86_400_000);
    for (const bad of ['', '5', 'd', '5x', '0h', '-1d', '1.5h', '5 days', '1d2h']) expect(() => parseDuration(bad)).toThrow(/invalid --since/);
  });

  it('formats ages like the Go CLI (Ns/Nm/Nh/Nd ago) and sizes', () => {
    const now = Date.parse('2026-01-10T12:00:00Z');
    expect(formatAgo(new Date(now - 5_000), now)).toBe('5s ago');
    expect(formatAgo(new Date(now - 59 * 60_000), now)).toBe('59m ago');
    expect(formatAgo(new Date(now - 3 * 3_600_000), now)).toBe('3h ago');
    expect(formatAgo(new Date(now - 40 * 86_400_000), now)).toBe('40d ago');
    expect(formatAgo(new Date(now + 10_000), now)).toBe('0s ago');
    expect([0, 1023, 1536, 10 * 1024 * 1024, 3.3 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '1023 B', '1.5 KB', '10 MB', '3.3 GB']);
    expect(truncate('a\nb   c', 50)).toBe('a b c');
    expect(truncate('x'.repeat(60), 50)).toBe(`${'x'.repeat(47)}...`);
  });

  it('counts complete lines only (a partial last line is not uploaded yet)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'confab-lines-'));
    try {
      const p = join(dir, 'a.jsonl');
      expect(await countLines(p)).toBe(0);
      writeFileSync(p, '{}\n{}\n{"partial":');
      expect(await countLines(p)).toBe(2);
      writeFileSync(p, Buffer.alloc(3 * 1024 * 1024 + 7, 0x0a));
      expect(await countLines(p)).toBe(3 * 1024 * 1024 + 7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never writes a downloaded file outside the output dir', () => {
    expect(localPathFor('/out', 'subagents/workflows/r1/journal.jsonl')).toBe('/out/subagents/workflows/r1/journal.jsonl');
    for (const bad of ['../x.jsonl', '/etc/passwd', 'a/../../x', '', '.']) expect(() => localPathFor('/out', bad)).toThrow(/unsafe file name/);
  });

  it('finds a session by id or unique prefix', () => {
    const provider = { name: 'claude-code' } as Provider;
    const s = (id: string): FoundSession => ({ provider, session: { externalId: id } as LocalSession });
    const all = [s('abc-1'), s('abc-2'), s('abd-3')];
    expect(findSession(all, 'abd').session.externalId).toBe('abd-3');
    expect(findSession(all, 'abc-1').session.externalId).toBe('abc-1');
    expect(() => findSession(all, 'abc')).toThrow('"abc" is ambiguous: it matches 2 sessions');
    expect(() => findSession(all, 'zz')).toThrow('no local session matches "zz"');
  });
});

describe('syncSessionOnce (confab save) uses the same taps as the daemon', () => {
  useTempHome();
  let backend: LocalBackend | undefined;
  afterEach(async () => {
    await backend?.close();
    backend = undefined;
  });

  async function setup() {
    const home = process.env.HOME as string;
    const claudeDir = join(home, '.claude');
    mkdirSync(claudeDir, { recursive: true });
    process.env.CONFAB_CLAUDE_DIR = claudeDir;
    const session = new ReplayedClaudeSession(claudeDir);
    session.appendRest();
    backend = await openLocalBackend(join(home, 'store'));
    const provider = await getProvider('claude-code');
    const identity = { provider: 'claude-code', externalId: session.sessionId, transcriptPath: session.transcriptPath, cwd: session.cwd };
    return { session, provider, identity, backend };
  }

  afterEach(() => {
    delete process.env.CONFAB_CLAUDE_DIR;
  });

  it('uploads the transcript and the sub-agent the provider discovers, then nothing on a second run', async () => {
    const { session, provider, identity, backend } = await setup();
    const settings = await resolveSettings({ cwd: identity.cwd });
    const wiring = { createEngine: (input: ConstructorParameters<typeof SyncEngine>[0]) => new SyncEngine(input) };
    const progress: number[] = [];
    const first = await syncSessionOnce({ provider, session: identity, backend, settings, wiring, onChunk: (c) => progress.push(c.lines) });
    expect(first.complete).toBe(true);
    expect(first.lines).toBe(90);
    expect(progress.reduce((a, b) => a + b, 0)).toBe(90);
    expect(new Set(first.files.map((f) => f.name))).toEqual(new Set([`${session.sessionId}.jsonl`, `agent-${session.agentId}.jsonl`]));

    const second = await syncSessionOnce({ provider, session: identity, backend, settings, wiring });
    expect(second).toMatchObject({ complete: true, chunks: 0, lines: 0, sessionId: first.sessionId });

    // Resumable: only what is new goes, and a partial last line waits.
    appendFileSync(session.transcriptPath, '{"type":"last-prompt"}\n{"type":"partial"');
    const third = await syncSessionOnce({ provider, session: identity, backend, settings, wiring });
    expect(third).toMatchObject({ complete: true, lines: 1 });
    const stored = await backend.getSession(session.sessionId);
    expect(stored.files.find((f) => f.file_name === `${session.sessionId}.jsonl`)?.last_synced_line).toBe(66);
  });

  it("applies the settings taps (redaction's place) and the project config's apply, in the daemon's order", async () => {
    const { session, provider, identity, backend } = await setup();
    const order: string[] = [];
    const base = await resolveSettings({ cwd: identity.cwd });
    const settings: Settings = {
      ...base,
      apply(daemon: { readonly hooks: DaemonHooks }) {
        order.push('project');
        daemon.hooks.line.tap('project', (line) => line.replace('"type":"user"', '"type":"user","tagged":true'));
      },
    };
    const wiring = {
      createEngine: (input: ConstructorParameters<typeof SyncEngine>[0]) => new SyncEngine(input),
      applySettings(target: { readonly hooks: DaemonHooks }) {
        order.push('settings');
        // The provider tapped first: its chunk tap is already there.
        expect(target.hooks.chunk.taps.map((t) => t.name)).toContain('claude-code');
        target.hooks.line.tap('confab:redaction', (line) => line.replaceAll('hello', '[REDACTED:TEST]'));
      },
    };
    const res = await syncSessionOnce({ provider, session: identity, backend, settings, wiring });
    expect(res.complete).toBe(true);
    expect(order).toEqual(['settings', 'project']);
    const text = (await backend.downloadFile(session.sessionId, `${session.sessionId}.jsonl`)).toString();
    expect(text).not.toContain('echo hello');
    expect(text).toContain('echo [REDACTED:TEST]');
    expect(text).toContain('"type":"user","tagged":true');
  });

  it('asks the settings taps to read ahead only where a core is spare for it', async () => {
    const { provider, identity, backend } = await setup();
    const settings = await resolveSettings({ cwd: identity.cwd });
    const asked: (boolean | undefined)[] = [];
    const wiring = {
      createEngine: (input: ConstructorParameters<typeof SyncEngine>[0]) => new SyncEngine(input),
      applySettings: (_target: unknown, _s: Settings, _log: unknown, opts?: { readAhead?: boolean }) => {
        asked.push(opts?.readAhead);
      },
    };
    await syncSessionOnce({ provider, session: identity, backend, settings, wiring });
    await syncSessionOnce({ provider, session: identity, backend, settings, wiring, readAhead: false });
    expect(asked).toEqual([availableParallelism() > 1, false]);

    // save --all: with as many sessions at once as cores, none has a core to spare.
    asked.length = 0;
    const cores = availableParallelism();
    const router = { settingsFor: async () => settings, backendFor: async () => backend } as unknown as SessionRouter;
    const found: FoundSession = {
      provider,
      session: { ...identity, project: '-p', lastActivity: new Date(), sizeBytes: 1 },
    };
    await saveSessions(Array<FoundSession>(cores).fill(found), { router, wiring, concurrency: cores });
    await saveSessions([found], { router, wiring, concurrency: 1 });
    expect(asked).toEqual([...Array<boolean>(cores).fill(false), cores > 1]);
  });
});
