import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, makeGitProject } from './claude-harness.js';
import { confabDaemonPids, daemonsDone, expectedStoredBytes } from './confab-check.js';
import { CODEX_HOOK_EVENTS, codexEnv, codexHookList, codexRecorderHook, DUMMY_KEY, findCodex, pinnedCodexVersion, runCodex, threadIdOf, writeCodexConfig } from './codex-harness.js';
import { codexFacts, ROLLOUT_PATH, writeCodexFixtures, type CodexFacts, type CodexTurnFacts } from './codex-fixtures.js';
import { runCodexSession, type CodexCapture } from './codex-session.js';
import { CODEX_CALL_ID, CODEX_MAIN_PROMPT, CODEX_RESUME_PROMPT, codexScript, startFakeResponses } from './fake-responses.js';

// The real Codex CLI against a loopback Responses API: first what the client does (hook
// payloads, their order, the rollout it writes), then confab's own hooks, installed by
// `confab hooks add --provider codex`, syncing its rollouts into the embedded store.
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFAB = join(REPO_ROOT, 'bin', 'run.js');
const codex = findCodex();
const keep = process.env.REAL_CODEX_KEEP === '1';

const title = codex
  ? `real Codex CLI ${codex.version}`
  : 'real Codex CLI (skipped: @openai/codex is not installed under test/real; `npm run test:real` installs it)';
if (!codex) console.warn(title);

const roots: string[] = [];
function tempRoot(name: string): string {
  const root = mkdtempSync(join(tmpdir(), `confab-real-codex-${name}-`));
  roots.push(root);
  return root;
}
afterAll(() => {
  if (!keep) for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe.skipIf(!codex)(title, () => {
  it.skipIf(process.env.CODEX_BIN !== undefined)('is the version test/real/package.json pins', () => {
    expect(codex!.version).toBe(pinnedCodexVersion());
  });

  describe('what the client does (a recorder on every hook event)', () => {
    let cap: CodexCapture;
    let facts: CodexFacts;
    const run = (name: string): CodexTurnFacts => {
      const t = facts.turns.find((x) => x.name === name);
      if (!t) throw new Error(`no run ${name}`);
      return t;
    };

    beforeAll(async () => {
      cap = await runCodexSession({ bin: codex!.bin, root: tempRoot('facts') });
      facts = codexFacts(cap, codex!.version);
    }, 300_000);

    afterAll(() => {
      if (!cap) return;
      // Always leave a readable copy of the run; commit-ready fixtures only on request.
      writeCodexFixtures(cap, facts, join(REPO_ROOT, 'test', 'artifacts', 'codex-real', codex!.version));
      if (process.env.REAL_CODEX_WRITE_FIXTURES === '1') writeCodexFixtures(cap, facts, join(REPO_ROOT, 'test', 'fixtures', 'codex-real', codex!.version));
    });

    it('runs the scripted turn through the Responses stand-in: a shell call, then a final message', () => {
      const exec = run('exec');
      expect(exec.exitCode).toBe(0);
      expect(exec.requests.map((r) => r.path)).toEqual(['/v1/responses', '/v1/responses']);
      expect(exec.requests.map((r) => r.step)).toEqual([expect.stringMatching(/^main:(exec_command|shell_command|shell)$/), 'main:final']);
      expect(exec.requests.every((r) => r.auth === 'bearer dummy key')).toBe(true);
      expect(run('resume').requests.map((r) => r.step)).toEqual(['resume:text']);
    });

    it('trusts every recorder hook, one per event Codex knows; SessionEnd gets a 1 s timeout by default', () => {
      expect(facts.hooks.map((h) => h.event)).toEqual(Object.keys(CODEX_HOOK_EVENTS).map((e) => e[0]!.toLowerCase() + e.slice(1)).sort());
      for (const h of facts.hooks) {
        expect({ event: h.event, trustStatus: h.trustStatus, enabled: h.enabled }).toEqual({ event: h.event, trustStatus: 'trusted', enabled: true });
        expect(h.timeoutSec, h.event).toBe(h.event === 'sessionEnd' ? 1 : 600);
      }
    });

    it("clamps a SessionEnd hook's timeout to 3 s (the trust hash covers the clamped value)", async () => {
      const root = tempRoot('timeout');
      const home = join(root, 'home');
      const codexHome = join(home, '.codex');
      mkdirSync(root, { recursive: true });
      makeGitProject(join(root, 'project'));
      writeCodexConfig(codexHome, 'http://127.0.0.1:9/v1', codexRecorderHook, { timeoutsS: { SessionEnd: 600, Stop: 600 } });
      const hooks = await codexHookList(codex!.bin, { cwd: join(root, 'project'), env: codexEnv({ home, codexHome }) });
      const byEvent = new Map(hooks.map((h) => [h.eventName, h]));
      expect({ timeoutSec: byEvent.get('sessionEnd')?.timeoutSec, trustStatus: byEvent.get('sessionEnd')?.trustStatus }).toEqual({ timeoutSec: 3, trustStatus: 'modified' });
      expect({ timeoutSec: byEvent.get('stop')?.timeoutSec, trustStatus: byEvent.get('stop')?.trustStatus }).toEqual({ timeoutSec: 600, trustStatus: 'trusted' });
    });

    it('codex exec fires SessionStart (startup), UserPromptSubmit, PreToolUse, PostToolUse, Stop, SessionEnd — in that order, once each', () => {
      const exec = run('exec');
      expect(exec.hookEvents).toEqual(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd']);
      expect(exec.sessionStartSource).toBe('startup');
    });

    it('codex exec resume --last fires SessionStart (resume), UserPromptSubmit, Stop, SessionEnd', () => {
      const resume = run('resume');
      expect(resume.hookEvents).toEqual(['SessionStart', 'UserPromptSubmit', 'Stop', 'SessionEnd']);
      expect(resume.sessionStartSource).toBe('resume');
    });

    it('runs SessionEnd at the end of codex exec and of codex exec resume with {session_id, transcript_path, cwd, hook_event_name, reason}, the rollout whole', () => {
      for (const t of facts.turns) {
        expect(t.sessionEnd, t.name).not.toBeNull();
        expect(Object.keys(t.sessionEnd!).sort(), t.name).toEqual(['cwd', 'hook_event_name', 'reason', 'session_id', 'transcript_path']);
        expect(t.sessionEnd, t.name).toMatchObject({ session_id: t.threadId, hook_event_name: 'SessionEnd', reason: 'other' });
        // By then the rollout is whole: nothing is written after SessionEnd.
        expect(t.transcriptAtHook.find((at) => at.event === 'SessionEnd')?.lines, t.name).toBe(t.rolloutLines);
      }
    });

    it('hands every hook the same payload shape: session_id is the thread id, transcript_path the rollout', () => {
      const common = ['cwd', 'hook_event_name', 'model', 'permission_mode', 'session_id', 'transcript_path'];
      const exec = run('exec');
      expect(exec.payloadKeys).toEqual({
        SessionStart: [...common, 'source'].sort(),
        UserPromptSubmit: [...common, 'prompt', 'turn_id'].sort(),
        PreToolUse: [...common, 'tool_input', 'tool_name', 'tool_use_id', 'turn_id'].sort(),
        PostToolUse: [...common, 'tool_input', 'tool_name', 'tool_response', 'tool_use_id', 'turn_id'].sort(),
        Stop: [...common, 'last_assistant_message', 'stop_hook_active', 'turn_id'].sort(),
        SessionEnd: ['cwd', 'hook_event_name', 'reason', 'session_id', 'transcript_path'],
      });
      for (const t of facts.turns) {
        expect(t.sessionIdIsThreadId, t.name).toBe(true);
        expect(t.transcriptPaths, t.name).toEqual(facts.rolloutFiles);
      }
      expect(exec.tools).toEqual([
        { event: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'echo hello' } },
        { event: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'echo hello' }, tool_response: 'hello\n' },
      ]);
    });

    it('writes one rollout, sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl, and the resume appends to it', () => {
      expect(facts.rolloutFiles).toHaveLength(1);
      expect(facts.rolloutFiles[0]).toMatch(ROLLOUT_PATH);
      expect(facts.rolloutIsThread).toBe(true);
      expect(facts.resumeAppendsToSameRollout).toBe(true);
      expect(facts.firstLine?.type).toBe('session_meta');
      expect(run('resume').rolloutLines).toBeGreaterThan(run('exec').rolloutLines);
    });

    it('has the rollout on disk, on a line boundary, by the time each hook runs', () => {
      for (const t of facts.turns) {
        for (const at of t.transcriptAtHook) {
          expect(at.exists, `${t.name} ${at.event}`).toBe(true);
          expect(at.endsWithNewline, `${t.name} ${at.event}`).toBe(true);
        }
      }
    });

    it('runs hook commands as children of the native codex binary, itself a child of the npm launcher script', () => {
      const chain = run('exec').hookProcessChain;
      expect(chain[0]).toMatch(/^codex \[node_modules\/@openai\/codex-[a-z0-9-]+\/vendor\/.*\/bin\/codex exec\]$/);
      expect(chain[1]).toMatch(/^node \[node .*\.bin\/codex\]$/);
      expect(chain).toHaveLength(2);
    });
  });

  describe("with confab's hooks (confab hooks add --provider codex)", () => {
    async function setup(name: string, beforeReply?: (step: string) => Promise<void>) {
      const root = tempRoot(name);
      const home = join(root, 'home');
      const codexHome = join(home, '.codex');
      const project = join(root, 'project');
      mkdirSync(home, { recursive: true, mode: 0o700 });
      makeGitProject(project);
      const api = await startFakeResponses(codexScript, { dummyKey: DUMMY_KEY, ...(beforeReply ? { beforeReply } : {}) });
      writeCodexConfig(codexHome, api.url);
      const env = codexEnv({ home, codexHome, extra: { CONFAB_SYNC_INTERVAL_MS: '500', CONFAB_SYNC_JITTER_MS: '0' } });
      const add = spawnSync(process.execPath, [CONFAB, 'hooks', 'add', '--provider', 'codex'], { env, encoding: 'utf8' });
      expect(add.status, add.stderr).toBe(0);
      expect(readFileSync(join(codexHome, 'config.toml'), 'utf8')).toContain('hook session-start --provider codex');
      return { home, codexHome, project, api, env };
    }

    function onlyRollout(codexHome: string): string {
      const rollouts = listFiles(join(codexHome, 'sessions')).filter((f) => f.endsWith('.jsonl'));
      expect(rollouts).toHaveLength(1);
      return join(codexHome, 'sessions', rollouts[0]!);
    }

    async function expectStoredExactly(home: string, rollout: string, threadId: string, context = ''): Promise<void> {
      const { FileStore } = await import('../../src/store/file-store.js');
      const store = await FileStore.open(join(home, '.confab', 'store'));
      try {
        const sessions = await store.listSessions();
        expect(sessions.map((s) => ({ external_id: s.external_id, provider: s.provider }))).toEqual([{ external_id: threadId, provider: 'codex' }]);
        const s = sessions[0]!;
        expect(s.files.map((f) => f.file_name)).toEqual([basename(rollout)]);
        const stored = await store.readFile(s.session_id, basename(rollout));
        const expected = await expectedStoredBytes(rollout);
        // Line counts first: a lost or doubled line reads better as a count than as a byte diff.
        expect(stored.toString('utf8').split('\n').length, `lines stored ${context}`).toBe(expected.toString('utf8').split('\n').length);
        expect(stored.equals(expected), `stored bytes are the rollout after redaction ${context}`).toBe(true);
      } finally {
        await store.close();
      }
    }

    it('codex exec: every rollout line reaches the store exactly once, and the daemon stops', async () => {
      const { home, codexHome, project, api, env } = await setup('exec');
      try {
        const first = await runCodex(codex!.bin, ['exec', '--json', CODEX_MAIN_PROMPT], { cwd: project, env, timeoutMs: 120_000 });
        expect(first.code, first.stderr).toBe(0);
        expect(api.requests.map((r) => r.step)).toContain('main:final');
        await daemonsDone(home);
        expect(confabDaemonPids(home)).toEqual([]);
        const rollout = onlyRollout(codexHome);
        expect(readFileSync(rollout, 'utf8')).toContain(CODEX_CALL_ID);
        await expectStoredExactly(home, rollout, threadIdOf(first.stdout)!);
      } finally {
        await api.close();
      }
    });

    it('codex exec, then at once codex exec resume --last: every line, old and new, reaches the store exactly once', async () => {
      let home = '';
      let firstDaemons: number[] = [];
      // Whether the first run's daemon was still up when the resumed turn asked for its reply.
      let firstDaemonAliveAtResume: boolean | undefined;
      const firstDaemonAlive = (): boolean => confabDaemonPids(home).some((pid) => firstDaemons.includes(pid));
      // The resumed turn is held open until the first run's daemon has exited (it notices its
      // Codex is gone on its next parent check), so the turn's reply and the rest of its
      // lines are written after that; the cap only bounds a daemon that keeps running.
      const holdResume = async (step: string): Promise<void> => {
        if (step !== 'resume:text') return;
        firstDaemonAliveAtResume = firstDaemonAlive();
        const deadline = Date.now() + 15_000;
        while (firstDaemonAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      };
      const ctx = await setup('resume', holdResume);
      home = ctx.home;
      const { codexHome, project, api, env } = ctx;
      try {
        const first = await runCodex(codex!.bin, ['exec', '--json', CODEX_MAIN_PROMPT], { cwd: project, env, timeoutMs: 120_000 });
        expect(first.code, first.stderr).toBe(0);
        // Today the first run's daemon outlives its Codex until its next parent check; a daemon
        // that stops on SessionEnd would already be gone, and the resume then starts afresh.
        firstDaemons = confabDaemonPids(home);
        expect(firstDaemons.length, 'at most one daemon per session').toBeLessThanOrEqual(1);
        // No wait: the resume's SessionStart comes while the first run's daemon is still
        // within its parent-death check.
        const second = await runCodex(codex!.bin, ['exec', 'resume', '--last', '--json', CODEX_RESUME_PROMPT], { cwd: project, env, timeoutMs: 120_000 });
        expect(second.code, second.stderr).toBe(0);
        expect(threadIdOf(second.stdout)).toBe(threadIdOf(first.stdout));
        await daemonsDone(home);
        const rollout = onlyRollout(codexHome);
        expect(readFileSync(rollout, 'utf8')).toContain(CODEX_RESUME_PROMPT);
        await expectStoredExactly(home, rollout, threadIdOf(first.stdout)!, `first run's daemon alive when the resumed turn started: ${String(firstDaemonAliveAtResume)}`);
      } finally {
        await api.close();
      }
    });
  });
});
