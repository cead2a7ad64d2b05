/**
 * GitHub linking's pieces: which commands commit, push or open a PR; the refusal that asks for
 * the session link; GitHub URLs; reading tool calls from hook payloads; and the link request
 * itself (never compressed, a 409 counted as success).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpBackend } from '../../src/backend/http.js';
import { githubCommands, hasSessionLink, mayTouchGithub, prLinkLine } from '../../src/github/shell-link.js';
import { headCommitUrl, linkingDisabled, linksOfToolCall, pullRequestDenyReason, recordLinks, shellDenyReason } from '../../src/hook/github-links.js';
import { commitUrl, githubRepoUrl, pullRequestUrlIn } from '../../src/github/urls.js';
import { silentLogger } from '../../src/log.js';
import { toolCallFromPayload } from '../../src/provider/tool-calls.js';
import { claudeHookResponse } from '../../plugins/claude-code/src/index.js';
import { codexHookResponse } from '../../plugins/codex/src/index.js';
import { HttpStub } from '../helpers/http-stub.js';

const URL = 'https://confab.example/sessions/0c4f2f5e-1111-4222-8333-944445555666';

describe('githubCommands: what a shell line does', () => {
  it.each([
    ['git commit -m "x"', { commit: true, push: false, prCreate: false, gitDir: '' }],
    ['git add -A && git commit -m x && git push', { commit: true, push: true, prCreate: false, gitDir: '' }],
    ['git -c user.name=a -C sub commit -m x | tail -1', { commit: true, push: false, prCreate: false, gitDir: 'sub' }],
    ['cd app && git commit -m x', { commit: true, push: false, prCreate: false, gitDir: 'app' }],
    ['cd /srv/app; git -C lib push', { commit: false, push: true, prCreate: false, gitDir: '/srv/app/lib' }],
    ['cd "$DIR" && git commit -m x', { commit: true, push: false, prCreate: false }],
    ['gh pr create --title t --body b', { commit: false, push: false, prCreate: true }],
    ['gh -R o/r pr create --fill', { commit: false, push: false, prCreate: true }],
    ['if true; then git commit -m x; fi', { commit: true, push: false, prCreate: false, gitDir: '' }],
    ['FOO=1 /usr/bin/git commit -am x', { commit: true, push: false, prCreate: false, gitDir: '' }],
  ])('%s', (command, expected) => {
    expect(githubCommands(command)).toEqual(expected);
    expect(mayTouchGithub(command)).toBe(true);
  });

  it.each([
    'echo "git commit -m x"',
    "grep 'gh pr create' notes.md",
    'git commit-tree HEAD^{tree}',
    'git log --grep commit',
    'gh pr view 12',
    'cat <<EOF\ngit commit -m x\nEOF',
    'git commit -m "unterminated',
  ])('finds nothing in %s', (command) => {
    expect(githubCommands(command)).toEqual({ commit: false, push: false, prCreate: false });
  });

  it('a line that cannot commit or open a PR fails the cheap test the hook runs first', () => {
    for (const command of ['ls -la', 'npm test', 'git status', 'gh issue list', 'cat README.md']) expect(mayTouchGithub(command)).toBe(false);
  });
});

describe('the refusal of a commit or PR without the session link', () => {
  it('asks for the trailer, with the command to run instead (the trailer on the commit, not after the chain)', () => {
    const reason = shellDenyReason('git add -A && git commit -m "it\'s done" && git push | tail -1', URL);
    expect(reason).toContain(`\`Confab-Link: ${URL}\` trailer`);
    expect(reason).toContain(`For example:\ngit add -A && git commit -m "it's done" --trailer 'Confab-Link: ${URL}' && git push | tail -1`);
    expect(reason).toMatch(/# confab-linked-[0-9a-f]{4}`/);
  });

  it('keeps a heredoc PR body intact in its example, the link added as the body’s last line', () => {
    const command = "gh pr create --title t --body-file - <<'EOF'\nSummary: it's $fine\nEOF";
    const reason = shellDenyReason(command, URL);
    expect(reason).toContain(`the line \`${prLinkLine(URL)}\``);
    expect(reason).toContain(`For example:\ngh pr create --title t --body-file - <<'EOF'\nSummary: it's $fine\n\n${prLinkLine(URL)}\nEOF`);
  });

  it('asks for the link in the file when the body comes from one (no example to give)', () => {
    const reason = shellDenyReason('gh pr create --title t -F body.md', URL) ?? '';
    expect(reason).not.toContain('For example');
    expect(reason).toContain('put the link in the file');
  });

  it('lets through a command that has the link, a marker, or nothing to link', () => {
    expect(shellDenyReason(`git commit -m x --trailer 'Confab-Link: ${URL}'`, URL)).toBeUndefined();
    expect(shellDenyReason('git commit -F msg.txt # confab-linked-1a2b', URL)).toBeUndefined();
    expect(hasSessionLink('git commit -F msg # confab-linked-1a2', URL)).toBe(false);
    expect(shellDenyReason('git push origin main', URL)).toBeUndefined();
    expect(shellDenyReason('echo "git commit"', URL)).toBeUndefined();
  });

  it('asks the GitHub PR tool for the link line in its body', () => {
    expect(pullRequestDenyReason('Adds a widget.', URL)).toContain(`\n\n${prLinkLine(URL)}\n\n`);
    expect(pullRequestDenyReason(`Adds a widget.\n\n${prLinkLine(URL)}`, URL)).toBeUndefined();
  });

  it('is a PreToolUse deny in Claude Code’s and Codex’s answers, and nothing else ever carries a decision', () => {
    const deny = { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'why' } };
    expect(claudeHookResponse('pre-tool-use', { denyToolUse: 'why' })).toEqual({ continue: true, stopReason: '', suppressOutput: false, ...deny });
    expect(codexHookResponse('pre-tool-use', { denyToolUse: 'why' })).toEqual({ continue: true, ...deny });
    expect(claudeHookResponse('pre-tool-use', {})).toEqual({ continue: true, stopReason: '', suppressOutput: false });
    expect(claudeHookResponse('post-tool-use', { denyToolUse: 'why' })).not.toHaveProperty('hookSpecificOutput');
  });
});

describe('GitHub URLs', () => {
  it.each([
    ['git@github.com:octo/widget.git', 'https://github.com/octo/widget'],
    ['ssh://git@github.com/octo/widget.git', 'https://github.com/octo/widget'],
    ['ssh://git@github.com:22/octo/widget', 'https://github.com/octo/widget'],
    ['https://github.com/octo/widget.git', 'https://github.com/octo/widget'],
    ['https://github.com/octo/widget/', 'https://github.com/octo/widget'],
    ['http://github.com/octo/widget', 'https://github.com/octo/widget'],
    ['https://x-access-token:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/octo/widget.git', 'https://github.com/octo/widget'],
    ['https://user@GitHub.com/octo/widget', 'https://github.com/octo/widget'],
  ])('%s → %s', (remote, expected) => {
    expect(githubRepoUrl(remote)).toBe(expected);
  });

  it.each(['https://gitlab.com/octo/widget.git', 'git@github.example.com:octo/widget.git', 'https://github.com/octo', 'https://github.com/octo/widget/tree/main', '/srv/git/widget.git', ''])(
    'is not a github.com repository: %s',
    (remote) => {
      expect(githubRepoUrl(remote)).toBeUndefined();
    },
  );

  it('builds commit URLs from full SHAs only', () => {
    const sha = 'ABCDEF0123456789abcdef0123456789abcdef01';
    expect(commitUrl('https://github.com/o/r', `${sha}\n`)).toBe(`https://github.com/o/r/commit/${sha.toLowerCase()}`);
    expect(commitUrl('https://github.com/o/r', 'abcdef0')).toBeUndefined();
  });

  it('finds the first pull request URL in a tool’s output', () => {
    expect(pullRequestUrlIn('Creating pull request for feat into main\n\nhttps://github.com/octo/widget/pull/42\n')).toBe('https://github.com/octo/widget/pull/42');
    expect(pullRequestUrlIn('{"url":"https://api.github.com/repos/o/r/pulls/7","html_url":"https://github.com/o/r/pull/7"}')).toBe('https://github.com/o/r/pull/7');
    expect(pullRequestUrlIn('see https://github.com/o/r/issues/3')).toBeUndefined();
  });
});

describe('tool calls read from hook payloads', () => {
  const tools = { shell: ['Bash'], pullRequest: ['mcp__github__create_pull_request'] };

  it('reads Claude Code’s Bash response (as recorded from Claude Code 2.1.332)', () => {
    const payload = {
      tool_name: 'Bash',
      tool_input: { command: 'gh pr create --fill', description: 'Open the PR' },
      tool_response: { stdout: 'https://github.com/o/r/pull/9', stderr: '', interrupted: false, isImage: false, noOutputExpected: false },
    };
    const call = toolCallFromPayload(payload, tools);
    expect(call).toEqual({ command: 'gh pr create --fill', output: JSON.stringify(payload.tool_response) });
    expect(toolCallFromPayload({ ...payload, tool_response: undefined }, tools)).toEqual({ command: 'gh pr create --fill' });
  });

  it('counts an exit code, an interruption, or stderr alone as a failed call', () => {
    for (const tool_response of [{ stdout: '', stderr: '', exit_code: 1 }, { stdout: 'x', interrupted: true }, { stderr: 'fatal: not a git repository' }]) {
      expect(toolCallFromPayload({ tool_name: 'Bash', tool_input: { command: 'git commit -m x' }, tool_response }, tools)?.succeeded).toBe(false);
    }
  });

  it('reads Codex’s bare-string output and the GitHub MCP tool’s body', () => {
    expect(toolCallFromPayload({ tool_name: 'Bash', tool_input: { command: 'git push' }, tool_response: 'done\n' }, { shell: ['Bash'] })).toEqual({ command: 'git push', output: 'done\n' });
    expect(toolCallFromPayload({ tool_name: 'mcp__github__create_pull_request', tool_input: { title: 't', body: 'b' } }, tools)).toEqual({ pullRequestBody: 'b' });
    expect(toolCallFromPayload({ tool_name: 'Read', tool_input: { file_path: '/x' } }, tools)).toBeUndefined();
    expect(toolCallFromPayload({ tool_name: 'Bash', tool_input: { command: 7 } }, tools)).toBeUndefined();
  });
});

describe('CONFAB_DISABLE_LINK_FROM_GITHUB', () => {
  it('turns linking off when set to anything non-empty', () => {
    expect(linkingDisabled({ CONFAB_DISABLE_LINK_FROM_GITHUB: '1' })).toBe(true);
    expect(linkingDisabled({ CONFAB_DISABLE_LINK_FROM_GITHUB: 'false' })).toBe(true);
    expect(linkingDisabled({ CONFAB_DISABLE_LINK_FROM_GITHUB: '' })).toBe(false);
    expect(linkingDisabled({})).toBe(false);
  });
});

describe('the links of a finished call, from a real repository', () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'confab-links-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
    mkdirSync(join(repo, 'sub'));
    git('init', '-q', 'sub');
    writeFileSync(join(repo, 'sub', 'a.txt'), 'a\n');
    execFileSync('git', ['-C', join(repo, 'sub'), 'add', 'a.txt']);
    execFileSync('git', ['-C', join(repo, 'sub'), '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'a']);
    execFileSync('git', ['-C', join(repo, 'sub'), 'remote', 'add', 'origin', 'https://bot:ghp_secretsecretsecretsecretsecretsecret1234@github.com/octo/widget.git']);
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  const head = () => execFileSync('git', ['-C', join(repo, 'sub'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

  it('links HEAD of the repository the command committed in, with no credentials', async () => {
    expect(await headCommitUrl(join(repo, 'sub'))).toBe(`https://github.com/octo/widget/commit/${head()}`);
    expect(await linksOfToolCall({ command: 'cd sub && git commit -m a && gh pr create --fill', output: 'https://github.com/octo/widget/pull/3' }, repo, silentLogger)).toEqual([
      'https://github.com/octo/widget/pull/3',
      `https://github.com/octo/widget/commit/${head()}`,
    ]);
  });

  it('links no commit for a failed call, one whose repository cannot be told, or outside a repository', async () => {
    expect(await linksOfToolCall({ command: 'git -C sub commit -m a', succeeded: false }, repo, silentLogger)).toEqual([]);
    expect(await linksOfToolCall({ command: 'cd "$X" && git commit -m a' }, repo, silentLogger)).toEqual([]);
    expect(await linksOfToolCall({ command: 'git commit -m a' }, repo, silentLogger)).toEqual([]);
  });
});

describe('the link request', () => {
  const stub = new HttpStub();
  beforeAll(async () => {
    await stub.start();
  });
  afterEach(() => {
    stub.requests.length = 0;
  });
  afterAll(() => stub.stop());

  const target = () => ({ backend: { kind: 'http' as const, url: stub.url, apiKey: `cfb_${'a'.repeat(40)}` }, sessionId: 'b1f0c0de-0000-4000-8000-000000000001' });
  const url = 'https://github.com/octo/widget/pull/42';

  it('is an uncompressed JSON POST with source cli_hook; a 409 (already linked) counts as recorded', async () => {
    stub.handler = () => ({ status: 409, body: '{"error":"already exists"}' });
    expect(await recordLinks(target(), [url], silentLogger)).toBe(1);
    const [req] = stub.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe(`/api/v1/sessions/${target().sessionId}/github-links`);
    expect(req?.headers['content-encoding']).toBeUndefined();
    expect(req?.headers['content-type']).toContain('application/json');
    expect(JSON.parse(req?.body.toString() ?? '')).toEqual({ url, source: 'cli_hook' });
  });

  it('never compresses, even a body over the size the sync routes compress', async () => {
    stub.handler = () => ({ status: 201, body: '{"id":"x"}' });
    const backend = new HttpBackend({ url: stub.url, apiKey: target().backend.apiKey });
    await backend.recordGithubLink(target().sessionId, { url, title: 't'.repeat(2000), source: 'cli_hook' });
    expect(stub.requests[0]?.headers['content-encoding']).toBeUndefined();
  });

  it('fails on other refusals (a 404 session), so the hook can report it', async () => {
    stub.handler = () => ({ status: 404, body: '{"error":"Session not found"}' });
    await expect(recordLinks(target(), [url], silentLogger)).rejects.toMatchObject({ kind: 'not-found' });
  });
});
