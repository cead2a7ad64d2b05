import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InitRequest, TrackedFileSpec } from 'confab-cli/provider';
import { stripUrlCredentials } from 'confab-cli/provider';
import { detectGitInfo, gitInfoForBranch, parseRemotes } from '../src/git-info.js';
import { utf8Length } from '../src/text.js';
import { AGENTS, TranscriptBuilder, tempDir, uuid } from './fixtures.js';
import { makeRepo } from './git-repo.js';
import { createHarness, transcriptSpec, type Harness } from './harness.js';

let tmp: ReturnType<typeof tempDir>;
let repo: { dir: string; sha: string };
let projectDir: string;
let sessionId: string;
let transcriptPath: string;
let h: Harness;

const ORIGIN = 'https://github.com/acme/app.git';
const REMOTES = [
  { name: 'origin', fetch_url: ORIGIN, push_url: ORIGIN },
  { name: 'upstream', fetch_url: 'git@github.com:upstream/app.git', push_url: 'git@github.com:me/app.git' },
];

beforeEach(() => {
  tmp = tempDir();
  repo = makeRepo(join(tmp.path, 'app'));
  projectDir = join(tmp.path, '.claude', 'projects', '-tmp-app');
  sessionId = uuid(11);
  transcriptPath = join(projectDir, `${sessionId}.jsonl`);
  h = createHarness({ externalId: sessionId, transcriptPath, cwd: repo.dir }, (v) => v.replace(/sk-live-[A-Za-z0-9]+/g, '[REDACTED:API_KEY]'));
});

afterEach(() => tmp.cleanup());

function builder(gitBranch = 'main'): TranscriptBuilder {
  return new TranscriptBuilder({ sessionId, cwd: repo.dir, gitBranch });
}

const transcriptFile = (): TrackedFileSpec => transcriptSpec(h.session);

describe('chunk metadata', () => {
  it('annotates a transcript chunk with summary, first user message and git info', async () => {
    const b = builder().summary('Fix login &amp; add tests').snapshot().localCommand('clear').user('Fix the login bug, key sk-live-abc123XYZ leaked').task(AGENTS.first, 'x');
    const req = await h.chunk(transcriptFile(), b.rawLines());
    expect(req.metadata).toEqual({
      summary: 'Fix login & add tests',
      first_user_message: 'Fix the login bug, key [REDACTED:API_KEY] leaked',
      git_info: { branch: 'main', is_dirty: false, repo_url: ORIGIN, remotes: REMOTES, tracking_remote: 'origin' },
    });
    // Both strings went through the redaction hook, named by field.
    expect(h.redactions.map((r) => r.field).sort()).toEqual(['first_user_message', 'summary']);
    expect(req.lines).toEqual(b.rawLines());
  });

  it('leaves fields out rather than sending empty or null values', async () => {
    const b = new TranscriptBuilder({ sessionId, cwd: '/nonexistent/dir', gitBranch: '' }).snapshot().localCommand('model');
    const req = await h.chunk(transcriptFile(), b.rawLines());
    expect(req.metadata).toBeUndefined();
    const prompt = await h.chunk(transcriptFile(), new TranscriptBuilder({ sessionId, cwd: repo.dir, gitBranch: '' }).user('Hi').rawLines());
    expect(prompt.metadata).toEqual({ first_user_message: 'Hi' });
    expect(Object.keys(prompt.metadata ?? {})).toEqual(['first_user_message']);
  });

  it('keeps metadata others set and only annotates transcripts', async () => {
    const b = builder().summary('Title').user('Hello');
    const withModel = await h.chunk(transcriptFile(), b.rawLines(), { metadata: { model: 'm1', git_info: { is_dirty: true, branch: 'x' } } });
    expect(withModel.metadata).toEqual({ model: 'm1', git_info: { is_dirty: true, branch: 'x' }, summary: 'Title', first_user_message: 'Hello' });
    const agent: TrackedFileSpec = { name: `agent-${AGENTS.first}.jsonl`, path: '/x', type: 'agent' };
    expect((await h.chunk(agent, b.rawLines())).metadata).toBeUndefined();
  });

  it('uses a branch from the transcript even when the repository is elsewhere now', async () => {
    const b = new TranscriptBuilder({ sessionId, cwd: join(tmp.path, 'gone'), gitBranch: 'feature/login' }).user('hi');
    expect((await h.chunk(transcriptFile(), b.rawLines())).metadata?.git_info).toEqual({ branch: 'feature/login', is_dirty: false });
  });

  it('redacts before cutting to 4096 bytes, so a secret at the cut cannot leak in part', async () => {
    const text = `${'x'.repeat(4085)} sk-live-abcdefghij1234567890 tail`;
    const req = await h.chunk(transcriptFile(), builder().user(text).rawLines());
    const first = req.metadata?.first_user_message as string;
    expect(utf8Length(first)).toBeLessThanOrEqual(4096);
    expect(first).not.toMatch(/sk-|sk$/);
    expect(first.endsWith('...')).toBe(true);
  });

  it('pushes a summary naming an earlier session onto that session (last 10 lines only)', async () => {
    const earlierId = uuid(12);
    const earlier = builder().user('Earlier work');
    for (let i = 0; i < 12; i++) earlier.assistant([{ type: 'text', text: `step ${i}` }]);
    earlier.write(join(projectDir, `${earlierId}.jsonl`));
    const leaf = earlier.lastUuid as string;
    const deep = earlier.lines[1]?.uuid as string; // not among the last 10 lines

    const agentLike = builder().user('sub');
    agentLike.raw({ ...agentLike.lines[0], uuid: 'leaf-in-agent' });
    agentLike.write(join(projectDir, 'agent-zzzzzzzz.jsonl'));

    const current = builder().summary('Earlier work &amp; more', leaf).summary('Deep', deep).summary('In agent', 'leaf-in-agent').user('Continue');
    current.write(transcriptPath);
    await h.chunk(transcriptFile(), current.rawLines());
    expect(h.links).toEqual([{ externalId: earlierId, summary: 'Earlier work & more' }]);
    // A retried chunk does not push it again.
    await h.chunk(transcriptFile(), current.rawLines());
    expect(h.links).toHaveLength(1);
  });

  it('remembers sub-agent ids from agent chunks too', async () => {
    const agent: TrackedFileSpec = { name: `agent-${AGENTS.first}.jsonl`, path: join(projectDir, 'a'), type: 'agent' };
    await h.chunk(agent, new TranscriptBuilder({ sessionId, cwd: repo.dir, isSidechain: true }).task('deepagent01', 'x').rawLines());
    const legacy = join(projectDir, 'agent-deepagent01.jsonl');
    builder().user('x').write(legacy);
    const files = await h.discover(new Map(), 1);
    expect(files.map((f) => f.path)).toContain(legacy);
  });
});

describe('init git info', () => {
  const request = (): InitRequest => ({ provider: 'claude-code', external_id: sessionId, transcript_path: transcriptPath, metadata: { cwd: repo.dir, hostname: 'box' } });
  const init = (refresh = false) => h.hooks.initRequest.promise(request(), { provider: 'claude-code', externalId: sessionId, transcriptPath, cwd: repo.dir, refresh });

  it('takes the branch from the first transcript line that has one', async () => {
    const b = builder('').snapshot().user('a');
    b.raw({ ...b.lines[1], gitBranch: 'feature/from-transcript', uuid: 'u9' });
    b.write(transcriptPath);
    const req = await init();
    expect(req.metadata).toEqual({
      cwd: repo.dir,
      hostname: 'box',
      git_info: { branch: 'feature/from-transcript', is_dirty: false, repo_url: ORIGIN, remotes: REMOTES },
    });
  });

  it('asks git in the cwd when the transcript names no branch', async () => {
    builder('').user('a').write(transcriptPath);
    writeFileSync(join(repo.dir, 'dirty.txt'), 'uncommitted');
    const req = await init();
    expect(req.metadata?.git_info).toEqual({
      repo_url: ORIGIN,
      branch: 'main',
      commit_sha: repo.sha,
      commit_message: 'Initial commit',
      author: 'Test User <test@example.com>',
      is_dirty: true,
      remotes: REMOTES,
      tracking_remote: 'origin',
    });
  });

  it('sends no git_info outside a work tree, and nothing on a refresh', async () => {
    const outside = join(tmp.path, 'plain');
    const req = await h.hooks.initRequest.promise(request(), { provider: 'claude-code', externalId: sessionId, transcriptPath: join(outside, 'none.jsonl'), cwd: outside, refresh: false });
    expect(req.metadata).toEqual({ cwd: repo.dir, hostname: 'box' });
    expect('git_info' in (req.metadata ?? {})).toBe(false);
    builder().user('a').write(transcriptPath);
    expect(await init(true)).toEqual(request());
  });
});

describe('git helpers', () => {
  it('reports a clean repository and a detached HEAD', async () => {
    const info = await detectGitInfo(repo.dir);
    expect(info?.is_dirty).toBe(false);
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['checkout', '-q', '--detach'], { cwd: repo.dir });
    expect((await detectGitInfo(repo.dir))?.branch).toBe('HEAD');
    expect(await detectGitInfo(join(tmp.path))).toBeUndefined();
    expect(await detectGitInfo(join(tmp.path, 'missing'))).toBeUndefined();
  });

  it('parses remotes and strips credentials from URLs', () => {
    expect(
      parseRemotes('origin\thttps://u:p@h/r.git (fetch)\norigin\thttps://u:p@h/r.git (push)\nmirror\t/srv/mirror.git (fetch)\n\tbroken\n'),
    ).toEqual([
      { name: 'origin', fetch_url: 'https://h/r.git', push_url: 'https://h/r.git' },
      { name: 'mirror', fetch_url: '/srv/mirror.git', push_url: '' },
    ]);
    expect(stripUrlCredentials('ssh://git@host/r.git')).toBe('ssh://git@host/r.git');
    expect(stripUrlCredentials('git@github.com:o/r.git')).toBe('git@github.com:o/r.git');
  });

  it('gives just the branch when the cwd is not known', async () => {
    expect(await gitInfoForBranch('dev', undefined)).toEqual({ branch: 'dev', is_dirty: false });
  });
});
