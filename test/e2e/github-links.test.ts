/**
 * GitHub linking end to end, through the real hook commands of the built CLI: a Claude Code
 * session whose Bash tool commits and opens a pull request (with a stand-in `gh` on PATH) in a
 * repository whose origin is on github.com ends with both links on its backend — the embedded
 * store and `confab serve` over HTTP.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredGithubLink, StoredSession } from '../../src/store/session-store.js';
import { ReplayedClaudeSession } from '../helpers/claude-session.js';
import { withLocalStore } from '../helpers/local-store.js';
import { useE2eBackends, waitForBackendSessionId } from '../helpers/e2e-backends.js';
import { useSandbox, waitFor, type Sandbox } from '../helpers/sandbox.js';
import { startServer, type Server } from '../serve/api-helpers.js';

const sandbox = useSandbox();
let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const SESSION_ID = '6d0c1f4e-2b3a-4c5d-8e9f-0a1b2c3d4e5f';
const PR_URL = 'https://github.com/octo/widget/pull/42';
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Agent',
  GIT_AUTHOR_EMAIL: 'agent@example.com',
  GIT_COMMITTER_NAME: 'Agent',
  GIT_COMMITTER_EMAIL: 'agent@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

const BACKENDS = useE2eBackends();

/** Run a program the agent's tool would run (git, the shell), to completion; it reads no stdin. */
function run(sbx: Sandbox, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(cmd, args, { cwd, env: { ...sbx.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** A git repository with a github.com origin (credentials in its URL, as some CI setups have) and a stand-in `gh`. */
async function project(sbx: Sandbox): Promise<{ repo: string; path: string }> {
  const repo = sbx.dir('widget');
  const git = async (...args: string[]) => {
    const res = run(sbx, 'git', args, repo, GIT_ENV);
    expect(res.code, res.stderr).toBe(0);
  };
  await git('init', '-q');
  await git('remote', 'add', 'origin', 'https://bot:ghp_0123456789abcdefghijklmnopqrstuvwxyzAB@github.com/octo/widget.git');
  writeFileSync(join(repo, 'README.md'), '# widget\n');
  const bin = sbx.dir('bin');
  writeFileSync(join(bin, 'gh'), `#!/bin/sh\necho "Creating pull request for feat into main in octo/widget" >&2\necho\necho "${PR_URL}"\n`);
  chmodSync(join(bin, 'gh'), 0o755);
  return { repo, path: `${bin}:${process.env.PATH ?? ''}` };
}

describe.each(BACKENDS)('a Claude Code session links its commit and pull request ($name)', (backend) => {
  it('records both links on the session through the real PreToolUse/PostToolUse hooks', async () => {
    const sbx = sandbox();
    const read = await backend.setup(sbx);
    const { repo, path } = await project(sbx);
    const session = new ReplayedClaudeSession(sbx.claudeDir, { sessionId: SESSION_ID, cwd: repo });

    const start = await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    expect(start.code, start.stderr).toBe(0);
    session.appendMain(5);
    const backendId = await waitForBackendSessionId(sbx, 'claude-code', SESSION_ID);

    const toolPayload = (event: 'PreToolUse' | 'PostToolUse', tool: Record<string, unknown>) =>
      JSON.stringify({ session_id: SESSION_ID, transcript_path: session.transcriptPath, cwd: repo, permission_mode: 'default', hook_event_name: event, tool_use_id: 'toolu_01', ...tool });
    const hook = async (event: 'PreToolUse' | 'PostToolUse', tool: Record<string, unknown>) => {
      const res = await sbx.run(['hook', event === 'PreToolUse' ? 'pre-tool-use' : 'post-tool-use'], { input: toolPayload(event, tool) });
      expect(res.code).toBe(0);
      expect(res.stderr).toBe('');
      return JSON.parse(res.stdout) as Record<string, unknown>;
    };
    /** Claude Code's Bash tool: run the line, answer what its PostToolUse carries. */
    const bash = async (command: string) => {
      const res = run(sbx, '/bin/sh', ['-c', command], repo, { ...GIT_ENV, PATH: path });
      expect(res.code, res.stderr).toBe(0);
      return { stdout: res.stdout.trimEnd(), stderr: res.stderr.trimEnd(), interrupted: false, isImage: false, noOutputExpected: false };
    };

    // PreToolUse: where the session has a page, a commit without its link is refused with the line to run instead.
    let commit = 'git add README.md && git commit -q -m "Add the readme" | cat';
    const pre = await hook('PreToolUse', { tool_name: 'Bash', tool_input: { command: commit, description: 'Commit' } });
    const web = backend.web();
    if (web) {
      const url = `${web}/sessions/${backendId}`;
      const reason = (pre.hookSpecificOutput as { permissionDecisionReason: string }).permissionDecisionReason;
      expect(pre).toMatchObject({ continue: true, hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny' } });
      commit = `git add README.md && git commit -q -m "Add the readme" --trailer 'Confab-Link: ${url}' | cat`;
      expect(reason).toContain(`For example:\n${commit}`);
      // Run again as asked: let through, with no decision of confab's.
      expect(await hook('PreToolUse', { tool_name: 'Bash', tool_input: { command: commit } })).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    } else {
      expect(pre).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    }
    const committed = await bash(commit);
    expect(await hook('PostToolUse', { tool_name: 'Bash', tool_input: { command: commit }, tool_response: committed })).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    const sha = run(sbx, 'git', ['rev-parse', 'HEAD'], repo).stdout.trim();
    if (web) expect(run(sbx, 'git', ['log', '-1', '--format=%B'], repo).stdout).toContain(`Confab-Link: ${web}/sessions/${backendId}`);

    // gh pr create: the PR URL is in the Bash tool's output.
    const pr = 'gh pr create --title "Add the readme" --body "Adds it."';
    const prResponse = await bash(pr);
    await hook('PostToolUse', { tool_name: 'Bash', tool_input: { command: pr }, tool_response: prResponse });

    // A failed command and one that is neither a commit nor a PR link nothing.
    await hook('PostToolUse', { tool_name: 'Bash', tool_input: { command: 'git commit -m again' }, tool_response: { stdout: '', stderr: 'nothing to commit', exit_code: 1 } });
    await hook('PostToolUse', { tool_name: 'Bash', tool_input: { command: 'echo https://github.com/octo/widget/pull/7' }, tool_response: { stdout: 'https://github.com/octo/widget/pull/7', stderr: '' } });

    const links = async (): Promise<StoredGithubLink[]> =>
      read(async (s) => ((await s.listSessions()).find((x: StoredSession) => x.external_id === SESSION_ID)?.github_links ?? []).map((l) => ({ ...l })));
    const byUrl = (await links()).map((l) => [l.link_type, l.url, l.owner, l.repo, l.ref, l.source]).sort();
    expect(byUrl).toEqual(
      [
        ['commit', `https://github.com/octo/widget/commit/${sha}`, 'octo', 'widget', sha, 'cli_hook'],
        ['pull_request', PR_URL, 'octo', 'widget', '42', 'cli_hook'],
      ].sort(),
    );
    // Repeating a link (a retried hook, a second push) leaves one link.
    await hook('PostToolUse', { tool_name: 'Bash', tool_input: { command: 'git push' }, tool_response: { stdout: '', stderr: '' } });
    expect(await links()).toHaveLength(2);

    const end = await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    expect(end.code).toBe(0);
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to finish', timeoutMs: 20_000 });
    expect(await links()).toHaveLength(2);
  });

  it('links the GitHub MCP tool’s pull request; CONFAB_DISABLE_LINK_FROM_GITHUB turns linking off', async () => {
    const sbx = sandbox();
    const read = await backend.setup(sbx);
    const { repo } = await project(sbx);
    const session = new ReplayedClaudeSession(sbx.claudeDir, { sessionId: SESSION_ID, cwd: repo });
    await sbx.run(['hook', 'session-start'], { input: session.payload('SessionStart') });
    session.appendMain(3);
    const stored = () => read(async (s) => (await s.listSessions()).find((x) => x.external_id === SESSION_ID));
    const backendId = await waitFor(async () => (await stored())?.session_id, { what: 'the session on the backend', timeoutMs: 20_000 });

    const mcp = (event: 'PreToolUse' | 'PostToolUse', extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        session_id: SESSION_ID,
        transcript_path: session.transcriptPath,
        cwd: repo,
        hook_event_name: event,
        tool_name: 'mcp__github__create_pull_request',
        tool_input: { owner: 'octo', repo: 'widget', title: 'T', head: 'feat', base: 'main', body: 'Adds it.' },
        ...extra,
      });
    const response = { number: 43, url: 'https://api.github.com/repos/octo/widget/pulls/43', html_url: 'https://github.com/octo/widget/pull/43', state: 'open' };

    sbx.env.CONFAB_DISABLE_LINK_FROM_GITHUB = '1';
    const offPre = await sbx.run(['hook', 'pre-tool-use'], { input: mcp('PreToolUse') });
    expect(JSON.parse(offPre.stdout)).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    await sbx.run(['hook', 'post-tool-use'], { input: mcp('PostToolUse', { tool_response: response }) });
    expect((await stored())?.github_links ?? []).toEqual([]);

    delete sbx.env.CONFAB_DISABLE_LINK_FROM_GITHUB;
    const pre = JSON.parse((await sbx.run(['hook', 'pre-tool-use'], { input: mcp('PreToolUse') })).stdout) as { hookSpecificOutput?: { permissionDecision: string; permissionDecisionReason: string } };
    const web = backend.web();
    if (web) {
      expect(pre.hookSpecificOutput?.permissionDecision).toBe('deny');
      expect(pre.hookSpecificOutput?.permissionDecisionReason).toContain(`📝 [Confab link](${web}/sessions/${backendId})`);
    } else expect(pre.hookSpecificOutput).toBeUndefined();
    const post = await sbx.run(['hook', 'post-tool-use'], { input: mcp('PostToolUse', { tool_response: response }) });
    expect(post.stderr).toBe('');
    expect((await stored())?.github_links?.map((l) => [l.link_type, l.url, l.source])).toEqual([['pull_request', 'https://github.com/octo/widget/pull/43', 'cli_hook']]);

    await sbx.run(['hook', 'session-end'], { input: session.payload('SessionEnd') });
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to finish', timeoutMs: 20_000 });
  });
});

describe('GitHub linking problems never block the agent', () => {
  it('a backend that refuses the link: exit 0, the usual answer, one line on stderr, nothing of the payload in the log', async () => {
    const sbx = sandbox();
    const srv = await startServer();
    server = srv;
    await sbx.run(['login', '--backend-url', srv.base, '--api-key', '-'], { input: srv.alice });
    const { repo, path } = await project(sbx);
    mkdirSync(join(sbx.confabDir, 'sync', 'claude-code'), { recursive: true, mode: 0o700 });
    // A state whose backend session is not on this server (another server's id).
    const transcript = join(sbx.claudeDir, 'projects', '-w', `${SESSION_ID}.jsonl`);
    writeFileSync(
      join(sbx.confabDir, 'sync', 'claude-code', `${SESSION_ID}.json`),
      JSON.stringify({ external_id: SESSION_ID, transcript_path: transcript, cwd: repo, pid: 999999, parent_pid: 0, inbox_path: '', started_at: new Date().toISOString(), confab_session_id: '00000000-0000-4000-8000-000000000000' }),
      { mode: 0o600 },
    );
    const res = await sbx.run(['hook', 'post-tool-use'], {
      input: JSON.stringify({ session_id: SESSION_ID, transcript_path: transcript, cwd: repo, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'gh pr create --fill' }, tool_response: { stdout: `${PR_URL}\nsecret-payload-marker`, stderr: '' } }),
      env: { PATH: path },
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^confab: could not link the session to GitHub: .*Session not found/);
    const log = readFileSync(join(sbx.confabDir, 'logs', 'confab.log'), 'utf8');
    expect(log).toContain('could not record a GitHub link');
    expect(log).not.toContain('secret-payload-marker');
    expect(log).not.toContain(srv.alice.trim());
  });
});

describe('a Cursor session links its commit and pull request (the embedded store)', () => {
  it('records both from postToolUse, in the Shell call’s own cwd', async () => {
    const sbx = sandbox();
    const cursorDir = sbx.dir('cursor');
    sbx.env.CONFAB_CURSOR_DIR = cursorDir;
    const { repo, path } = await project(sbx);
    const workspace = sbx.dir('workspace');
    const id = 'c0ffee00-1111-4222-8333-444455556666';
    const base = { session_id: id, conversation_id: id, model: 'm', cursor_version: '2.1.0', workspace_roots: [workspace] };
    const start = await sbx.run(['hook', 'session-start', '--provider', 'cursor'], { input: JSON.stringify({ ...base, hook_event_name: 'sessionStart', transcript_path: null }) });
    expect(start.code, start.stderr).toBe(0);
    const transcript = join(cursorDir, 'projects', workspace.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, ''), 'agent-transcripts', id, `${id}.jsonl`);
    mkdirSync(join(transcript, '..'), { recursive: true });
    writeFileSync(transcript, `${JSON.stringify({ role: 'user', message: { content: [{ type: 'text', text: 'ship it' }] } })}\n`);
    const stored = () => withLocalStore(sbx, async (s) => (await s.listSessions()).find((x) => x.external_id === id));
    await waitFor(async () => (await stored())?.session_id, { what: 'the session on the backend', timeoutMs: 20_000 });

    const shell = async (command: string) => {
      const res = run(sbx, '/bin/sh', ['-c', command], repo, { ...GIT_ENV, PATH: path });
      const post = await sbx.run(['hook', 'post-tool-use', '--provider', 'cursor'], {
        input: JSON.stringify({ ...base, hook_event_name: 'postToolUse', cwd: workspace, tool_name: 'Shell', tool_use_id: 't', tool_input: { command, cwd: repo, timeout: 30000 }, tool_output: { output: res.stdout, exitCode: res.code }, duration: 10 }),
      });
      expect(post.code).toBe(0);
      expect(JSON.parse(post.stdout)).toEqual({});
      expect(post.stderr).toBe('');
    };
    await shell('git add README.md && git commit -q -m readme');
    await shell('gh pr create --fill');
    const sha = run(sbx, 'git', ['rev-parse', 'HEAD'], repo).stdout.trim();
    expect((await stored())?.github_links?.map((l) => [l.link_type, l.url]).sort()).toEqual([
      ['commit', `https://github.com/octo/widget/commit/${sha}`],
      ['pull_request', PR_URL],
    ]);

    await sbx.run(['hook', 'session-end', '--provider', 'cursor'], { input: JSON.stringify({ ...base, hook_event_name: 'sessionEnd', transcript_path: transcript, reason: 'completed' }) });
    await waitFor(() => sbx.daemonPids().length === 0, { what: 'the daemon to finish', timeoutMs: 20_000 });
  });
});

describe('the hook path of a tool call with nothing to link', () => {
  it('loads nothing beyond the hook bundle; a linkable call loads the linking module', async () => {
    const sbx = sandbox();
    const call = (event: 'PreToolUse' | 'PostToolUse', command: string) =>
      JSON.stringify({
        session_id: SESSION_ID,
        transcript_path: join(sbx.claudeDir, 'projects', '-w', `${SESSION_ID}.jsonl`),
        cwd: sbx.root,
        hook_event_name: event,
        tool_name: 'Bash',
        tool_input: { command },
        ...(event === 'PostToolUse' ? { tool_response: { stdout: 'https://github.com/o/r/pull/1', stderr: '' } } : {}),
      });
    // Node's own module tracing lists every CommonJS and ES module the process loads.
    const loaded = async (event: 'PreToolUse' | 'PostToolUse', command: string) => {
      const res = await sbx.run(['hook', event === 'PreToolUse' ? 'pre-tool-use' : 'post-tool-use'], { input: call(event, command), env: { NODE_DEBUG: 'module,esm' } });
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout.trim().split('\n').at(-1) ?? '')).toEqual({ continue: true, stopReason: '', suppressOutput: false });
      return [...new Set([...res.stderr.matchAll(/\/dist\/[\w./-]+\.(?:c?js)/g)].map((m) => m[0]))];
    };
    for (const event of ['PreToolUse', 'PostToolUse'] as const) {
      for (const command of ['npm test 2>&1 | tail -5', 'git status && git log --oneline -3', 'echo "git commit -m x"']) {
        expect(await loaded(event, command), `${event} ${command}`).toEqual(['/dist/hook.cjs']);
      }
    }
    expect(await loaded('PostToolUse', 'gh pr create --fill')).toContain('/dist/hook/github-links.js');
  });
});
