import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { REPO_ROOT, useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { BACKLOG_CHUNK_CHARS, BACKLOG_RAISE_CHARS, backlogMeter } from '../../src/process/jit-tier.js';

const sandbox = useSandbox();
const MODULE = join(REPO_ROOT, 'dist', 'process', 'jit-tier.js');

describe('backlogMeter', () => {
  it('ignores a live trickle however long, and fires once on a backlog', () => {
    const isBacklog = backlogMeter();
    const small = ['x'.repeat(BACKLOG_CHUNK_CHARS - 2), 'y'];
    for (let i = 0; i < 1_000; i++) expect(isBacklog(small)).toBe(false);
    const big = ['x'.repeat(BACKLOG_CHUNK_CHARS / 2), 'y'.repeat(BACKLOG_CHUNK_CHARS / 2)];
    const chunksToRaise = BACKLOG_RAISE_CHARS / BACKLOG_CHUNK_CHARS;
    for (let i = 1; i < chunksToRaise; i++) expect(isBacklog(big)).toBe(false);
    expect(isBacklog(big)).toBe(true);
    expect(isBacklog(big)).toBe(false);
  });
});

/**
 * V8's own view of a function made hot and then optimized on request, in a process started
 * with `flags` that may raise its tier first (printed as V8's optimization status bits).
 */
async function optimizationStatus(sbx: Sandbox, flags: string[], raise: boolean): Promise<{ status: number; baselineBefore: boolean; raised: boolean }> {
  const script = join(sbx.dir('tier'), `probe-${flags.length}-${raise}.mjs`);
  const source = `
    const { raiseJitTier, runsAtBaselineTier } = await import(${JSON.stringify(MODULE)});
    const baselineBefore = runsAtBaselineTier();
    const raised = ${raise} ? raiseJitTier() : false;
    function f(a) { return a * 2 + 1; }
    %PrepareFunctionForOptimization(f); f(1); f(2); %OptimizeFunctionOnNextCall(f); f(3);
    console.log(JSON.stringify({ status: %GetOptimizationStatus(f), baselineBefore, raised }));
  `;
  writeFileSync(script, source);
  const res = await sbx.exec(process.execPath, ['--allow-natives-syntax', ...flags, script]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as { status: number; baselineBefore: boolean; raised: boolean };
}

describe('raiseJitTier', () => {
  it('gives a process started at the baseline tier the optimizing compiler back', async () => {
    const sbx = sandbox();
    const normal = await optimizationStatus(sbx, [], false);
    const held = await optimizationStatus(sbx, ['--max-opt=1'], false);
    const raised = await optimizationStatus(sbx, ['--max-opt=1'], true);
    expect(normal).toMatchObject({ baselineBefore: false, raised: false });
    expect(held.baselineBefore).toBe(true);
    // Held at baseline, the function is not optimized even on request…
    expect(held.status).not.toBe(normal.status);
    // …and once raised it is, exactly as in a process that never held back.
    expect(raised).toEqual({ status: normal.status, baselineBefore: true, raised: true });
    // A process that was never held has nothing to raise.
    expect((await optimizationStatus(sbx, [], true)).raised).toBe(false);
  });
});

/** One user line of about `chars` characters, as Claude Code writes a long paste. */
function longUserLine(session: ReplayedClaudeSession, n: number, chars: number): string {
  return JSON.stringify({
    type: 'user',
    message: { role: 'user', content: `paste ${n}: ${'lorem ipsum dolor sit amet '.repeat(Math.ceil(chars / 27))}` },
    uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    timestamp: new Date(Date.UTC(2026, 11, 5, 12, 0, n)).toISOString(),
    sessionId: session.sessionId,
    cwd: session.cwd,
  });
}

async function syncAndStop(sbx: Sandbox, session: ReplayedClaudeSession): Promise<{ cmdline: string[]; log: string }> {
  const hook = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
  expect(hook.code, hook.stderr.slice(-2000)).toBe(0);
  await waitFor(
    async () => {
      const list = JSON.parse((await sbx.run(['list', '--json'])).stdout) as { sessions: { id: string; sync: { localLines: number; syncedLines: number } }[] };
      const sync = list.sessions.find((s) => s.id === session.sessionId)?.sync;
      return sync && sync.localLines > 0 && sync.syncedLines === sync.localLines;
    },
    { what: 'the daemon to sync the transcript', timeoutMs: 60_000, intervalMs: 200 },
  );
  const pids = sbx.daemonPids();
  expect(pids).toHaveLength(1);
  const cmdline = readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8').split('\0');
  const end = await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
  expect(end.code, end.stderr.slice(-2000)).toBe(0);
  await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to exit', timeoutMs: 30_000, intervalMs: 100 });
  const logPath = join(sbx.confabDir, 'logs', 'claude-code', `${session.sessionId}.log`);
  return { cmdline, log: existsSync(logPath) ? readFileSync(logPath, 'utf8') : '' };
}

describe('a daemon', () => {
  it('starts without the optimizing compiler and keeps it off for a live session', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(20);
    const { cmdline, log } = await syncAndStop(sbx, session);
    expect(cmdline).toContain('--max-opt=1');
    expect(log).toContain('daemon exiting');
    expect(log).not.toContain('optimizing compiler on');
  });

  it('turns it on when it meets a backlog, and stores every line of it', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(5);
    const lines = 12;
    for (let i = 0; i < lines; i++) session.appendRaw('main', longUserLine(session, i, 200_000));
    session.appendMain(5);
    const { cmdline, log } = await syncAndStop(sbx, session);
    expect(cmdline).toContain('--max-opt=1');
    expect(log.match(/optimizing compiler on/g)).toHaveLength(1);
    const out = sbx.dir('download');
    const dl = await sbx.run(['session', 'download', session.sessionId, '--output-dir', out]);
    expect(dl.code, dl.stderr).toBe(0);
    // Compared as digests: a deep equality of two 2.4 MB buffers takes seconds.
    const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(digest(join(out, `${session.sessionId}.jsonl`))).toBe(digest(session.transcriptPath));
  });
});
