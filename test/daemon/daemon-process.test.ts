import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { CONFAB_BIN, useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

function statePath(sbx: Sandbox, id: string): string {
  return join(sbx.confabDir, 'sync', 'claude-code', `${id}.json`);
}


describe('daemon processes', () => {
  it('starts exactly one daemon when many hooks race to start the same session', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(3);
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        sbx.run(['hook', i % 2 ? 'user-prompt-submit' : 'session-start'], { input: session.payload(i % 2 ? 'UserPromptSubmit' : 'SessionStart') }),
      ),
    );
    for (const r of runs) expect(JSON.parse(r.stdout)).toMatchObject({ continue: true });
    expect(runs.filter((r) => r.stderr.includes('started in background'))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(sbx.daemonPids()).toHaveLength(1);
    const state = JSON.parse(readFileSync(statePath(sbx, session.sessionId), 'utf8')) as { pid: number };
    expect(sbx.daemonPids()).toEqual([state.pid]);
  });

  it('on session-end reads the inbox event and exits on the signal, removing its state and inbox', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(10);
    // A log of a session that ended weeks ago: the new daemon prunes it, not the hook.
    const logs = join(sbx.confabDir, 'logs', 'claude-code');
    mkdirSync(logs, { recursive: true });
    const oldLog = join(logs, 'ended-weeks-ago.log');
    writeFileSync(oldLog, 'x');
    const past = new Date(Date.now() - 15 * 24 * 3600 * 1000);
    utimesSync(oldLog, past, past);
    await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    await waitFor(() => existsSync(join(sbx.confabDir, 'store')), { what: 'the first sync', timeoutMs: 15_000 });
    expect(existsSync(oldLog)).toBe(false);
    const [pid] = sbx.daemonPids();
    expect(pid).toBeDefined();
    await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    // How fast it exits is measured by bench/sync-latency.mjs; here: that the signal ended it.
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to exit', timeoutMs: 30_000 });
    expect(existsSync(statePath(sbx, session.sessionId))).toBe(false);
    expect(existsSync(join(sbx.confabDir, 'sync', 'claude-code', `${session.sessionId}.inbox.jsonl`))).toBe(false);
    const log = readFileSync(join(sbx.confabDir, 'logs', 'claude-code', `${session.sessionId}.log`), 'utf8');
    expect(log).toContain('session_end_sent=true');
    expect(log).toMatch(/daemon exiting reason=signal/);
  });

  it('shuts down when its parent (the agent) dies', async () => {
    const sbx = sandbox();
    const session = new ReplayedClaudeSession(sbx.claudeDir);
    session.appendMain(5);
    // A stand-in for the agent: runs the hook from a process named `claude`, then waits.
    const { symlinkSync } = await import('node:fs');
    const bin = sbx.dir('bin');
    symlinkSync(process.execPath, join(bin, 'claude'));
    const script = `
      const { spawnSync } = require('node:child_process');
      spawnSync('/bin/sh', ['-c', ${JSON.stringify(`${process.execPath} ${CONFAB_BIN} hook session-start`)}], { input: ${JSON.stringify(session.payload('SessionStart'))} });
      console.log('hooked');
      setInterval(() => {}, 1000);
    `;
    const agent = sbx.spawn(join(bin, 'claude'), ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    agent.stdout?.on('data', (b: Buffer) => (out += b));
    await waitFor(() => out.includes('hooked'), { what: 'the agent to run its hook' });
    const state = await waitFor(() => (existsSync(statePath(sbx, session.sessionId)) ? (JSON.parse(readFileSync(statePath(sbx, session.sessionId), 'utf8')) as { parent_pid?: number }) : undefined));
    expect(state.parent_pid).toBe(agent.pid);
    agent.kill('SIGKILL');
    // The parent is checked every 5 s; a loaded machine may take longer to get there.
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to notice', timeoutMs: 30_000 });
    expect(existsSync(statePath(sbx, session.sessionId))).toBe(false);
    const log = readFileSync(join(sbx.confabDir, 'logs', 'claude-code', `${session.sessionId}.log`), 'utf8');
    expect(log).toContain(`parent process exited parent_pid=${agent.pid}`);
    expect(log).toMatch(/daemon exiting reason=parent-exited/);
  });
});
