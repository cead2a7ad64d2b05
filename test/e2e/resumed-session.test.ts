import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendLines, rootRolloutLines, ROOT_ID, writeRollout } from '../../plugins/codex/test/fixtures.js';
import { isProcessAlive } from '../../src/process/liveness.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { storedEvents, storedFile } from '../helpers/local-store.js';
import { CONFAB_BIN, useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';

// A session resumed under the same id moments after its agent process exited (`codex exec`
// then `codex exec resume --last`, `claude -p` then `claude --resume`): the previous run's
// daemon is still alive for a few seconds (it checks its agent every 5 s). The resumed run's
// hooks must hand the session to a new daemon, or the resumed turn's lines are never uploaded.

const sandbox = useSandbox();

interface HookRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A stand-in for the agent process, named like the agent (`codex`, `claude`), so confab's
 * parent walk finds it: it runs the hooks it is told to, as the agent would, and lives until
 * told to exit.
 */
class AgentProcess {
  private readonly child: ChildProcess;
  private out = '';
  private readonly exited: Promise<void>;

  constructor(sbx: Sandbox, name: 'codex' | 'claude', provider: string) {
    const bin = sbx.dir('bin');
    if (!existsSync(join(bin, name))) symlinkSync(process.execPath, join(bin, name));
    const script = `
      const { spawnSync } = require('node:child_process');
      let buf = '';
      process.stdin.on('data', (d) => {
        buf += d;
        for (let i; (i = buf.indexOf('\\n')) >= 0; ) {
          const cmd = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (cmd.exit) process.exit(0);
          const r = spawnSync(process.execPath, [${JSON.stringify(CONFAB_BIN)}, 'hook', cmd.event, '--provider', ${JSON.stringify(provider)}], { input: cmd.payload, encoding: 'utf8' });
          process.stdout.write(JSON.stringify({ status: r.status, stdout: r.stdout, stderr: r.stderr }) + '\\n');
        }
      });
    `;
    this.child = sbx.spawn(join(bin, name), ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout?.on('data', (b: Buffer) => (this.out += b.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  async hook(event: string, payload: string): Promise<HookRun> {
    this.out = '';
    this.child.stdin?.write(`${JSON.stringify({ event, payload })}\n`);
    return waitFor(() => (this.out.includes('\n') ? (JSON.parse(this.out) as HookRun) : undefined), { what: `the ${event} hook to answer`, timeoutMs: 20_000 });
  }

  /** The agent process ends (and is reaped), as `codex exec` does once its turn is done. */
  async exit(): Promise<void> {
    this.child.stdin?.write(`${JSON.stringify({ exit: true })}\n`);
    await this.exited;
  }
}

function statePid(sbx: Sandbox, provider: string, id: string): number | undefined {
  const path = join(sbx.confabDir, 'sync', provider, `${id}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid : undefined;
}

/** A replayed Claude Code session with `lines` written, and its state file's path (its directory made). */
function claudeSessionAndStatePath(sbx: Sandbox, lines: number) {
  const session = new ReplayedClaudeSession(sbx.claudeDir);
  session.appendMain(lines);
  const statePath = join(sbx.confabDir, 'sync', 'claude-code', `${session.sessionId}.json`);
  mkdirSync(dirname(statePath), { recursive: true });
  return { session, statePath };
}

function codexSession(sbx: Sandbox) {
  const codexDir = sbx.dir('codex-home');
  sbx.env.CONFAB_CODEX_DIR = codexDir;
  const lines = rootRolloutLines();
  const path = writeRollout(join(codexDir, 'sessions'), ROOT_ID, lines.slice(0, 6));
  const payload = (event: 'SessionStart' | 'SessionEnd', extra: Record<string, unknown>) =>
    JSON.stringify({ session_id: ROOT_ID, transcript_path: path, cwd: '/work/example', hook_event_name: event, ...extra });
  const stored = () => storedFile(sbx, ROOT_ID, basename(path), 'codex');
  return { lines, path, payload, stored };
}

const resumedTurn = (n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ timestamp: `2026-06-21T06:08:${String(i).padStart(2, '0')}.000Z`, type: 'event_msg', payload: { type: 'agent_message', message: `resumed turn, line ${i}` } }));

describe('a session resumed while the previous run’s daemon is still alive', () => {
  it('Codex without SessionEnd: codex exec, then codex exec resume at once — every line of both runs is stored once', async () => {
    const sbx = sandbox();
    const s = codexSession(sbx);
    const first = new AgentProcess(sbx, 'codex', 'codex');
    expect((await first.hook('session-start', s.payload('SessionStart', { source: 'startup' }))).stderr).toContain('started in background');
    const oldDaemon = await waitFor(() => statePid(sbx, 'codex', ROOT_ID), { what: 'the first daemon’s state' });
    appendLines(s.path, s.lines.slice(6));
    await waitFor(async () => (await s.stored())?.equals(readFileSync(s.path)), { what: 'the first run to be uploaded', timeoutMs: 20_000 });

    // codex exec ends; the resume starts before the daemon has looked at its agent again.
    await first.exit();
    const resumed = new AgentProcess(sbx, 'codex', 'codex');
    const start = await resumed.hook('session-start', s.payload('SessionStart', { source: 'resume' }));
    expect(start.status).toBe(0);
    // The previous daemon is gone (it would have stopped on its own within 5 s anyway); only
    // now does the resumed turn write: nothing but the new daemon can upload it.
    await waitFor(() => !isProcessAlive(oldDaemon), { what: 'the previous daemon to exit', timeoutMs: 20_000 });
    appendLines(s.path, resumedTurn(5));
    await resumed.exit();
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to notice the resumed run ended', timeoutMs: 20_000 });

    expect(await s.stored()).toEqual(readFileSync(s.path));
    expect(start.stderr).toContain(`taking over from pid ${oldDaemon}`);
    expect(existsSync(join(sbx.confabDir, 'pending', 'codex', `${ROOT_ID}.json`))).toBe(false);
  });

  it('Codex with SessionEnd: the end of codex exec, then the resume’s SessionStart at once — every line once, both session_end events', async () => {
    const sbx = sandbox();
    const s = codexSession(sbx);
    const first = new AgentProcess(sbx, 'codex', 'codex');
    await first.hook('session-start', s.payload('SessionStart', { source: 'startup' }));
    appendLines(s.path, s.lines.slice(6));
    // Written in the run's last moment: only the stopped daemon's final sync can carry it.
    appendLines(s.path, resumedTurn(1));
    const endFirst = s.payload('SessionEnd', { reason: 'other' });
    const end = await first.hook('session-end', endFirst);
    expect(end.status).toBe(0);
    expect(end.stderr).not.toContain('has no session-end hook');
    await first.exit();

    const resumed = new AgentProcess(sbx, 'codex', 'codex');
    expect((await resumed.hook('session-start', s.payload('SessionStart', { source: 'resume' }))).stderr).toContain('started in background');
    appendLines(s.path, resumedTurn(4));
    const endResumed = s.payload('SessionEnd', { reason: 'exit' });
    await resumed.hook('session-end', endResumed);
    await resumed.exit();
    await waitFor(() => sbx.daemonPids().length === 0 && statePid(sbx, 'codex', ROOT_ID) === undefined, { what: 'both daemons to finish', timeoutMs: 30_000 });

    expect(await s.stored()).toEqual(readFileSync(s.path));
    const events = await storedEvents(sbx, ROOT_ID);
    expect(events.map((e) => e.payload)).toEqual([JSON.parse(endFirst), JSON.parse(endResumed)]);
    expect(existsSync(join(sbx.confabDir, 'pending', 'codex', `${ROOT_ID}.json`))).toBe(false);
  });

  it('Claude Code: the agent exits without SessionEnd, claude --resume at once — the resumed lines are stored, once', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    const name = `${session.sessionId}.jsonl`;
    session.appendMain(6);
    const first = new AgentProcess(sbx, 'claude', 'claude-code');
    await first.hook('session-start', session.payload('SessionStart'));
    const oldDaemon = await waitFor(() => statePid(sbx, 'claude-code', session.sessionId), { what: 'the first daemon’s state' });
    await waitFor(async () => (await storedFile(sbx, session.sessionId, name))?.length, { what: 'the first lines to be uploaded', timeoutMs: 20_000 });
    await first.exit();

    const resumed = new AgentProcess(sbx, 'claude', 'claude-code');
    const start = await resumed.hook('session-start', session.payload('SessionStart', { source: 'resume' }));
    const newDaemon = statePid(sbx, 'claude-code', session.sessionId);
    // The first prompt of the resumed session, from the same agent process: no second hand-over.
    const prompt = await resumed.hook('user-prompt-submit', session.payload('UserPromptSubmit', { prompt: 'go on' }));
    await waitFor(() => !isProcessAlive(oldDaemon), { what: 'the previous daemon to exit', timeoutMs: 20_000 });
    session.appendMain(20);
    session.appendRest();
    const endPayload = session.payload('SessionEnd');
    await resumed.hook('session-end', endPayload);
    await resumed.exit();
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to finish', timeoutMs: 20_000 });

    expect(await storedFile(sbx, session.sessionId, name)).toEqual(readFileSync(session.transcriptPath));
    expect((await storedEvents(sbx, session.sessionId)).map((e) => e.payload)).toEqual([JSON.parse(endPayload)]);
    expect(start.stderr).toContain(`taking over from pid ${oldDaemon}`);
    expect(newDaemon).not.toBe(oldDaemon);
    expect(prompt.stderr).toContain(`already running (pid ${newDaemon})`);
  });
});

describe('a session resumed while a Go CLI daemon still serves it', () => {
  it('is handed over: the Go daemon is signalled, and the successor re-claims the state the Go daemon deletes on exit', async () => {
    const sbx = sandbox();
    const { session, statePath } = claudeSessionAndStatePath(sbx, 6);
    // A stand-in for a Go CLI daemon: on SIGTERM it deletes the session's state and inbox
    // whoever they name (as the Go CLI does), then exits.
    const goDaemon = sbx.spawn(
      process.execPath,
      ['-e', `process.on('SIGTERM', () => setTimeout(() => { require('node:fs').rmSync(${JSON.stringify(statePath)}, { force: true }); console.log('term'); process.exit(0); }, 300)); console.log('ready'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    goDaemon.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => out.includes('ready'), { what: 'the Go daemon stand-in to start' });
    const deadAgent = await new Promise<number>((resolve) => {
      const c = sbx.spawn(process.execPath, ['-e', '0']);
      c.once('exit', () => resolve(c.pid as number));
    });
    // The Go CLI's keys and time format; no pid_start_time.
    writeFileSync(
      statePath,
      JSON.stringify(
        {
          provider: 'claude-code',
          external_id: session.sessionId,
          transcript_path: session.transcriptPath,
          cwd: session.cwd,
          pid: goDaemon.pid,
          parent_pid: deadAgent,
          inbox_path: `${statePath.slice(0, -'.json'.length)}.inbox.jsonl`,
          started_at: '2026-06-21T08:06:38.123456789+02:00',
        },
        null,
        2,
      ),
    );

    const start = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart', { source: 'resume' }) });
    expect(start.stderr).toContain(`taking over from pid ${goDaemon.pid} (its agent process ${deadAgent} has exited)`);
    await waitFor(() => out.includes('term') && !isProcessAlive(goDaemon.pid as number), { what: 'the Go daemon to be signalled and exit' });
    const successor = await waitFor(() => (existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as { pid: number }).pid : undefined), {
      what: 'the successor to claim the session again',
      timeoutMs: 20_000,
    });
    expect(successor).not.toBe(goDaemon.pid);
    session.appendRest();
    const end = await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    expect(end.stderr).not.toContain('no daemon found');
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the successor to finish', timeoutMs: 20_000 });
    expect(await storedFile(sbx, session.sessionId, `${session.sessionId}.jsonl`)).toEqual(readFileSync(session.transcriptPath));
    expect((await storedEvents(sbx, session.sessionId)).map((e) => e.payload)).toEqual([JSON.parse(session.payload('SessionEnd'))]);
  });
});

describe('a state file that cannot be decoded', () => {
  it('is set aside with a warning and the session gets a daemon, instead of being blocked for good', async () => {
    const sbx = sandbox();
    const { session, statePath } = claudeSessionAndStatePath(sbx, 8);
    writeFileSync(statePath, '{"external_id": "torn');
    const start = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    expect(start.code).toBe(0);
    expect(start.stderr).toContain(`warning: invalid state file ${statePath}: not JSON; set aside as ${statePath}.invalid-`);
    expect(start.stderr).toContain('sync daemon started in background');
    expect(readdirSync(dirname(statePath)).filter((f) => f.startsWith(`${session.sessionId}.json.invalid-`))).toHaveLength(1);
    session.appendRest();
    await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to finish', timeoutMs: 20_000 });
    expect(await storedFile(sbx, session.sessionId, `${session.sessionId}.jsonl`)).toEqual(readFileSync(session.transcriptPath));
  });
});
