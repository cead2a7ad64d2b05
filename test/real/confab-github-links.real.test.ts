import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredSession } from '../../src/store/session-store.js';
import { Sandbox, waitFor } from '../helpers/sandbox.js';
import { startServe } from '../serve/serve-process.js';
import { claudeEnv, findClaude, makeGitProject, runClaude } from './claude-harness.js';
import { daemonsDone } from './confab-check.js';
import { lastUserMessage, startFakeAnthropic, toolResults, type Reply, type Script, type ToolResult } from './fake-anthropic.js';

// The real Claude Code CLI with confab's real hooks (`confab hooks add`): its Bash tool commits
// in a repository whose origin is on github.com and opens a pull request with a stand-in `gh`;
// the session must end with both links on its backend. Where the session has a web page
// (`confab serve`), the PreToolUse refusal must reach the model, and the command it suggests
// must land a commit carrying the `Confab-Link:` trailer.
const claude = findClaude();

const PROMPT = 'CONFAB-SCRIPT github: commit the notes, then open a pull request.';
const COMMIT = 'git add notes.txt && git commit -m "Add notes"';
const PR = 'gh pr create --title "Add notes" --body "Adds the notes."';
const PR_URL = 'https://github.com/octo/widget/pull/7';
const FINAL = 'Committed and opened the pull request.';

const IDS = {
  commit: 'toolu_01ConfabGhCommit00000000001',
  commitLinked: 'toolu_01ConfabGhCommit00000000002',
  pr: 'toolu_01ConfabGhPullRequest00000001',
  prLinked: 'toolu_01ConfabGhPullRequest00000002',
} as const;

/** The command a confab refusal tells the agent to run instead (its "For example:" block). */
function suggestedCommand(refusal: ToolResult): string | undefined {
  return /For example:\n([\s\S]*?)\nIf the message or body comes from a file/.exec(refusal.text)?.[1];
}

/**
 * Commit, then open a PR; a call refused with a suggested command is made again as
 * suggested, the way a model follows the reason. Every tool result the client sends back
 * is kept, so the test sees what Claude Code made of confab's answer.
 */
function githubSession(): { script: Script; results: Map<string, ToolResult> } {
  const results = new Map<string, ToolResult>();
  const bash = (step: string, id: string, command: string): { step: string; reply: Reply } => ({
    step,
    reply: { content: [{ type: 'tool_use', id, name: 'Bash', input: { command, description: step } }], stopReason: 'tool_use' },
  });
  const pr = (): { step: string; reply: Reply } => bash('gh:pr', IDS.pr, PR);
  const final = (): { step: string; reply: Reply } => ({ step: 'gh:final', reply: { content: [{ type: 'text', text: FINAL }], stopReason: 'end_turn' } });
  const script: Script = (req) => {
    const last = lastUserMessage(req);
    const answered = toolResults(last);
    for (const r of answered) results.set(r.toolUseId, r);
    const result = (id: string) => answered.find((r) => r.toolUseId === id);
    const retry = (r: ToolResult) => (r.isError ? suggestedCommand(r) : undefined);

    const commit = result(IDS.commit);
    if (commit) {
      const again = retry(commit);
      return again ? bash('gh:commit-linked', IDS.commitLinked, again) : pr();
    }
    if (result(IDS.commitLinked)) return pr();
    const opened = result(IDS.pr);
    if (opened) {
      const again = retry(opened);
      return again ? bash('gh:pr-linked', IDS.prLinked, again) : final();
    }
    if (result(IDS.prLinked)) return final();
    const text = last.map((b) => (b.type === 'text' ? (b.text ?? '') : '')).join('\n');
    if (text.includes(PROMPT) && req.toolNames.includes('Bash')) return bash('gh:commit', IDS.commit, COMMIT);
    return { step: 'side:text', reply: { content: [{ type: 'text', text: 'Scripted session' }], stopReason: 'end_turn' } };
  };
  return { script, results };
}

/** Wait until the session's daemon has registered it on its backend (its state records the backend's id). */
function daemonRegistered(home: string): Promise<string> {
  const dir = join(home, '.confab', 'sync', 'claude-code');
  return waitFor(
    () => {
      if (!existsSync(dir)) return undefined;
      for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
        const id = (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { confab_session_id?: unknown }).confab_session_id;
        if (typeof id === 'string' && id) return id;
      }
      return undefined;
    },
    { what: "the session's daemon to register it on its backend", timeoutMs: 30_000 },
  );
}

function git(cwd: string, ...args: string[]): string {
  const res = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout.trim();
}

interface GithubRun {
  project: string;
  sessionId: string;
  results: Map<string, ToolResult>;
  steps: string[];
  /** The arguments the stand-in `gh` was last called with. */
  ghArgs: () => string[];
}

/**
 * A git project whose origin is on github.com with an uncommitted file, a stand-in `gh` on
 * PATH, confab's hooks installed; then one `claude -p` session against the scripted stand-in.
 * The commit step is held until the daemon has registered the session: a commit made before
 * that has no backend session to be linked to.
 */
async function runGithubSession(sbx: Sandbox): Promise<GithubRun> {
  const project = join(sbx.root, 'project');
  makeGitProject(project);
  git(project, 'remote', 'add', 'origin', 'https://github.com/octo/widget.git');
  writeFileSync(join(project, 'notes.txt'), 'notes\n');
  writeFileSync(join(sbx.home, '.gitconfig'), '[user]\n\tname = Agent\n\temail = agent@example.invalid\n', { mode: 0o600 });
  const bin = sbx.dir('bin');
  const ghArgsFile = join(sbx.root, 'gh-args');
  writeFileSync(join(bin, 'gh'), `#!/bin/sh\nprintf '%s\\0' "$@" > '${ghArgsFile}'\necho 'Creating pull request for main into main in octo/widget' >&2\necho '${PR_URL}'\n`);
  chmodSync(join(bin, 'gh'), 0o755);

  const add = await sbx.run(['hooks', 'add', '--provider', 'claude-code']);
  expect(add.code, add.stderr).toBe(0);

  const { script, results } = githubSession();
  const api = await startFakeAnthropic(script, {
    beforeReply: async (step) => {
      if (step === 'gh:commit') await daemonRegistered(sbx.home);
    },
  });
  try {
    const env = claudeEnv({
      home: sbx.home,
      baseUrl: api.url,
      extra: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, GIT_CONFIG_NOSYSTEM: '1', CONFAB_SYNC_INTERVAL_MS: '500', CONFAB_SYNC_JITTER_MS: '0' },
    });
    const run = await runClaude(claude!.bin, ['-p', PROMPT, '--permission-mode', 'bypassPermissions', '--output-format', 'json'], { cwd: project, env, timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const sessionId = (JSON.parse(run.stdout) as { session_id: string }).session_id;
    await daemonsDone(sbx.home);
    return {
      project,
      sessionId,
      results,
      steps: api.requests.map((r) => r.step).filter((s) => s.startsWith('gh:')),
      ghArgs: () => readFileSync(ghArgsFile, 'utf8').split('\0').slice(0, -1),
    };
  } finally {
    await api.close();
  }
}

async function storedSession(storeDir: string, externalId: string): Promise<StoredSession | undefined> {
  const { FileStore } = await import('../../src/store/file-store.js');
  const store = await FileStore.open(storeDir);
  try {
    return (await store.listSessions()).find((s) => s.external_id === externalId);
  } finally {
    await store.close();
  }
}

function linksOf(session: StoredSession | undefined): string[][] {
  return (session?.github_links ?? []).map((l) => [l.link_type, l.url, l.source]).sort();
}

describe.skipIf(!claude)(`real Claude Code ${claude?.version ?? '(not installed)'} links its commit and pull request through confab's hooks`, () => {
  let sbx: Sandbox | undefined;
  afterEach(async () => {
    await sbx?.cleanup();
    sbx = undefined;
  });

  it('the embedded store: nothing refused, the session ends with the commit and the PR linked once each', async () => {
    sbx = new Sandbox();
    const run = await runGithubSession(sbx);

    expect(run.steps).toEqual(['gh:commit', 'gh:pr', 'gh:final']);
    expect(run.results.get(IDS.commit)?.isError).toBe(false);
    expect(run.results.get(IDS.pr)?.text).toContain(PR_URL);
    expect(git(run.project, 'rev-list', '--count', 'HEAD')).toBe('2');
    expect(git(run.project, 'log', '-1', '--format=%B')).not.toContain('Confab-Link');

    const sha = git(run.project, 'rev-parse', 'HEAD');
    const session = await storedSession(join(sbx.home, '.confab', 'store'), run.sessionId);
    expect(session, 'the session in the embedded store').toBeDefined();
    expect(linksOf(session)).toEqual([
      ['commit', `https://github.com/octo/widget/commit/${sha}`, 'cli_hook'],
      ['pull_request', PR_URL, 'cli_hook'],
    ]);
  });

  it('confab serve: the refusal reaches the model, the suggested commit carries the Confab-Link trailer, both links recorded', async () => {
    sbx = new Sandbox();
    const served = join(sbx.root, 'served');
    const key = await sbx.run(['serve', 'keys', 'create', 'me', '--store', served]);
    expect(key.code, key.stderr).toBe(0);
    const server = await startServe(sbx, ['--store', served]);
    try {
      const login = await sbx.run(['login', '--backend-url', server.url, '--api-key', '-'], { input: key.stdout.trim() });
      expect(login.code, login.stderr).toBe(0);
      const run = await runGithubSession(sbx);

      const session = await storedSession(served, run.sessionId);
      expect(session, 'the session on confab serve').toBeDefined();
      const page = `${server.url}/sessions/${session!.session_id}`;

      expect(run.steps).toEqual(['gh:commit', 'gh:commit-linked', 'gh:pr', 'gh:pr-linked', 'gh:final']);
      // What Claude Code sent the model for the refused commit: confab's reason, with the command to run.
      const refusedCommit = run.results.get(IDS.commit);
      const linkedCommit = `${COMMIT} --trailer 'Confab-Link: ${page}'`;
      expect(refusedCommit?.isError, JSON.stringify(refusedCommit)).toBe(true);
      // Claude Code 2.1.332 hands confab's reason over whole, after a prefix of its own.
      expect(refusedCommit?.text).toMatch(/^PreToolUse:Bash hook error: confab links this session /);
      expect(refusedCommit?.text).toContain(`For example:\n${linkedCommit}\n`);
      expect(run.results.get(IDS.commitLinked)?.isError, JSON.stringify(run.results.get(IDS.commitLinked))).toBe(false);

      // Only the linked commit landed, with its trailer.
      expect(git(run.project, 'rev-list', '--count', 'HEAD')).toBe('2');
      expect(git(run.project, 'log', '-1', '--format=%(trailers:key=Confab-Link,valueonly)')).toBe(page);

      // The PR body without the link was refused too; the PR opened carries the link line at the end of its body.
      const refusedPr = run.results.get(IDS.pr);
      expect(refusedPr?.isError, JSON.stringify(refusedPr)).toBe(true);
      expect(refusedPr?.text).toContain(`📝 [Confab link](${page})`);
      const args = run.ghArgs();
      expect(args.slice(0, 2)).toEqual(['pr', 'create']);
      expect(args[args.indexOf('--body') + 1]).toBe(`Adds the notes.\n\n📝 [Confab link](${page})`);
      expect(run.results.get(IDS.prLinked)?.text).toContain(PR_URL);

      const sha = git(run.project, 'rev-parse', 'HEAD');
      expect(linksOf(await storedSession(served, run.sessionId))).toEqual([
        ['commit', `https://github.com/octo/widget/commit/${sha}`, 'cli_hook'],
        ['pull_request', PR_URL, 'cli_hook'],
      ]);
    } finally {
      server.stop();
    }
  });
});
