import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import claudeCode from '../src/index.js';
import { scanClaudeSessions, sessionIdFromFileName } from '../src/session-scan.js';
import { TranscriptBuilder, tempDir, uuid, writeSessionFixture } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
let claudeDir: string;

beforeEach(() => {
  tmp = tempDir();
  claudeDir = join(tmp.path, '.claude');
  process.env.CONFAB_CLAUDE_DIR = claudeDir;
});

afterEach(() => {
  delete process.env.CONFAB_CLAUDE_DIR;
  tmp.cleanup();
});

function at(path: string, iso: string): void {
  const t = new Date(iso);
  utimesSync(path, t, t);
}

describe('session scan', () => {
  it('lists sessions newest first with title, project, size and cwd', async () => {
    const fx = writeSessionFixture(claudeDir, '/Users/dev/app');
    at(fx.transcriptPath, '2025-10-03T10:00:00Z');

    const otherProject = join(claudeDir, 'projects', '-Users-dev-site');
    const titled = uuid(21);
    new TranscriptBuilder({ sessionId: titled, cwd: '/Users/dev/site' }).summary('Deploy pipeline &amp; docs').user('Set up CI').write(join(otherProject, `${titled}.jsonl`));
    at(join(otherProject, `${titled}.jsonl`), '2025-10-05T10:00:00Z');

    const untitled = uuid(22);
    const noCwd = join(otherProject, `${untitled}.jsonl`);
    writeFileSync(noCwd, '{"type":"file-history-snapshot","messageId":"m","snapshot":{},"isSnapshotUpdate":false}\n');
    at(noCwd, '2025-10-01T10:00:00Z');

    // Not sessions: sub-agents, odd names, a session-shaped directory.
    writeFileSync(join(otherProject, 'agent-a3eaf63159a07953f.jsonl'), '{}\n');
    writeFileSync(join(otherProject, 'notes.jsonl'), '{}\n');
    mkdirSync(join(otherProject, `${uuid(23)}.jsonl`));

    const sessions = await claudeCode.sessions?.scan();
    expect(sessions?.map((s) => s.externalId)).toEqual([titled, fx.sessionId, untitled]);
    const [first, second, third] = sessions ?? [];
    expect(first).toEqual({
      provider: 'claude-code',
      externalId: titled,
      transcriptPath: join(otherProject, `${titled}.jsonl`),
      project: '-Users-dev-site',
      title: 'Deploy pipeline & docs',
      lastActivity: new Date('2025-10-05T10:00:00Z'),
      sizeBytes: expect.any(Number),
      cwd: '/Users/dev/site',
    });
    expect(second?.title).toBe('Fix the login bug in auth.ts & add tests');
    expect(second?.project).toBe('-Users-dev-app');
    expect(second?.cwd).toBe('/Users/dev/app');
    expect(third?.title).toBeUndefined();
    expect(third?.cwd).toBe(otherProject);
  });

  it('returns nothing when Claude Code has no projects dir', async () => {
    const warnings: string[] = [];
    expect(await claudeCode.sessions?.scan({ onWarning: (m) => warnings.push(m) })).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('reads only the head of each transcript, however large, on hundreds of sessions', async () => {
    const project = join(claudeDir, 'projects', '-Users-dev-big');
    mkdirSync(project, { recursive: true });
    const body = JSON.stringify({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'working' }] } });
    const GiB = 1024 ** 3;
    for (let i = 0; i < 300; i++) {
      const path = join(project, `${uuid(30 + i)}.jsonl`);
      writeFileSync(path, `${JSON.stringify({ type: 'user', cwd: '/Users/dev/big', message: { role: 'user', content: `task ${i}` } })}\n${`${body}\n`.repeat(60)}`);
      // Sparse: 300 GiB "on disk" that costs nothing unless someone reads it all.
      truncateSync(path, GiB);
    }
    // Count the bytes read instead of timing the scan (bench/ measures speed).
    const sample = await open(fileURLToPath(import.meta.url), 'r');
    const proto = Object.getPrototypeOf(sample) as { read: FileHandle['read'] };
    await sample.close();
    const read = proto.read;
    let bytesRead = 0;
    proto.read = async function (this: FileHandle, ...args: unknown[]) {
      const res = await (read as (...a: unknown[]) => ReturnType<FileHandle['read']>).apply(this, args);
      bytesRead += res.bytesRead;
      return res;
    } as FileHandle['read'];
    let sessions;
    try {
      sessions = await scanClaudeSessions();
    } finally {
      proto.read = read;
    }
    expect(sessions).toHaveLength(300);
    expect(new Set(sessions.map((s) => s.title)).size).toBe(300);
    expect(sessions.every((s) => s.sizeBytes === GiB && s.cwd === '/Users/dev/big')).toBe(true);
    // The metadata is in the first lines: at most one 64 KiB block per file, never the GiB.
    expect(bytesRead).toBeGreaterThan(0);
    expect(bytesRead).toBeLessThanOrEqual(300 * 64 * 1024);
  });

  it('collects permission problems as warnings and goes on', async () => {
    const readable = join(claudeDir, 'projects', '-ok');
    const locked = join(claudeDir, 'projects', '-locked');
    const id = uuid(40);
    new TranscriptBuilder({ sessionId: id, cwd: '/ok' }).user('visible').write(join(readable, `${id}.jsonl`));
    const hidden = uuid(41);
    new TranscriptBuilder({ sessionId: hidden, cwd: '/locked' }).user('hidden').write(join(locked, `${hidden}.jsonl`));
    chmodSync(locked, 0o000);
    try {
      const result = process.getuid?.() === 0 ? await scanAsUnprivilegedUser() : await scanHere();
      expect(result.ids).toEqual([id]);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]).toMatch(/cannot read .*-locked: EACCES/);
    } finally {
      chmodSync(locked, 0o700);
    }
  });

  it.each([
    ['0f1e2d3c-4b5a-4697-8a8b-00000000000a.jsonl', '0f1e2d3c-4b5a-4697-8a8b-00000000000a'],
    ['agent-0f1e2d3c-4b5a-4697-8a8b-0000000.jsonl', undefined],
    ['short.jsonl', undefined],
    ['0f1e2d3c-4b5a-4697-8a8b-00000000000a.json', undefined],
    ['0f1e2d3c/4b5a-4697-8a8b-00000000000a.jsonl', undefined],
  ])('sessionIdFromFileName(%j)', (name, id) => {
    expect(sessionIdFromFileName(name)).toBe(id);
  });
});

async function scanHere(): Promise<{ ids: string[]; warnings: string[] }> {
  const warnings: string[] = [];
  const sessions = await scanClaudeSessions({ onWarning: (m) => warnings.push(m) });
  return { ids: sessions.map((s) => s.externalId), warnings };
}

/** Root reads everything: run the scan as `nobody` to meet a real EACCES. */
async function scanAsUnprivilegedUser(): Promise<{ ids: string[]; warnings: string[] }> {
  chmodSync(tmp.path, 0o755);
  chmodSync(claudeDir, 0o755);
  chmodSync(join(claudeDir, 'projects'), 0o755);
  chmodSync(join(claudeDir, 'projects', '-ok'), 0o755);
  // The built module, copied where `nobody` can read it (the checkout may not be readable).
  const { copyFileSync } = await import('node:fs');
  const dist = fileURLToPath(new URL('../dist/', import.meta.url));
  const lib = join(tmp.path, 'lib');
  mkdirSync(lib, { mode: 0o755 });
  for (const f of ['session-scan.js', 'claude-dir.js', 'transcript-files.js', 'transcript.js', 'text.js']) copyFileSync(join(dist, f), join(lib, f));
  chmodSync(lib, 0o755);
  const script = `
    const { scanClaudeSessions } = await import(${JSON.stringify(join(lib, 'session-scan.js'))});
    const warnings = [];
    const sessions = await scanClaudeSessions({ claudeDir: process.argv[1], onWarning: (m) => warnings.push(m) });
    process.stdout.write(JSON.stringify({ ids: sessions.map((s) => s.externalId), warnings }));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, claudeDir], { uid: 65534, gid: 65534, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { ids: string[]; warnings: string[] }) : reject(new Error(`scan as nobody failed: ${err}`))));
  });
}
