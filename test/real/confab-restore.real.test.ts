import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { claudeEnv, findClaude, makeGitProject, runClaude } from './claude-harness.js';
import { daemonsDone, expectedStoredBytes } from './confab-check.js';
import { allText, lastUserMessage, MAIN_PROMPT, REPLIES, RESUME_PROMPT, scriptedSession, startFakeAnthropic, type MessagesRequest } from './fake-anthropic.js';

// The real Claude Code CLI with confab's hooks: a session synced to the embedded store, its
// files deleted, brought back by `confab restore`, and resumed by `claude --resume <id>`. The
// resumed turn's request must carry the earlier turns, and the store must end up with every
// line of the resumed transcript exactly once.
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFAB = join(REPO_ROOT, 'bin', 'run.js');
const claude = findClaude();

const root = mkdtempSync(join(tmpdir(), 'confab-real-restore-'));
afterAll(() => {
  if (process.env.REAL_CLAUDE_KEEP !== '1') rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!claude)(`real Claude Code ${claude?.version ?? '(not installed)'}: confab restore`, () => {
  it('a deleted session restored from the store resumes with its earlier turns, and syncs on without duplicates', async () => {
    const home = join(root, 'home');
    const project = join(root, 'project');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    makeGitProject(project);
    const seen: MessagesRequest[] = [];
    const api = await startFakeAnthropic((req) => {
      seen.push(req);
      return scriptedSession(req);
    });
    const env = claudeEnv({ home, baseUrl: api.url, extra: { CONFAB_SYNC_INTERVAL_MS: '500', CONFAB_SYNC_JITTER_MS: '0' } });
    const confab = (...args: string[]) => spawnSync(process.execPath, [CONFAB, ...args], { env, cwd: project, encoding: 'utf8' });
    try {
      expect(confab('hooks', 'add', '--provider', 'claude-code').status).toBe(0);
      const first = await runClaude(claude!.bin, ['-p', MAIN_PROMPT, '--permission-mode', 'bypassPermissions', '--output-format', 'json'], { cwd: project, env, timeoutMs: 90_000 });
      expect(first.code, first.stderr).toBe(0);
      const sessionId = (JSON.parse(first.stdout) as { session_id: string }).session_id;
      await daemonsDone(home);

      // Claude Code deletes the session: its transcript and its sub-agents.
      const projects = join(home, '.claude', 'projects');
      const [projectDir] = readdirSync(projects);
      const transcript = join(projects, projectDir!, `${sessionId}.jsonl`);
      expect(existsSync(transcript)).toBe(true);
      rmSync(transcript);
      rmSync(join(projects, projectDir!, sessionId), { recursive: true, force: true });

      const restore = confab('restore', sessionId, '--json');
      expect(restore.status, restore.stderr).toBe(0);
      expect(restore.stderr).toContain('[REDACTED:');
      const restored = JSON.parse(restore.stdout) as { files: Array<{ name: string; path: string; status: string }> };
      expect(restored.files.find((f) => f.name === `${sessionId}.jsonl`)?.path).toBe(transcript);
      expect(restored.files.some((f) => f.name.startsWith('agent-'))).toBe(true);

      const before = seen.length;
      const resumed = await runClaude(claude!.bin, ['--resume', sessionId, '-p', RESUME_PROMPT, '--permission-mode', 'bypassPermissions', '--output-format', 'json'], { cwd: project, env, timeoutMs: 90_000 });
      expect(resumed.code, resumed.stderr || resumed.stdout).toBe(0);
      const turn = seen.slice(before).find((r) => lastUserMessage(r).some((b) => b.type === 'text' && b.text?.includes(RESUME_PROMPT)));
      expect(turn, 'the resumed turn reached the API').toBeDefined();
      // The earlier turns, as restored: the first prompt and the assistant's final answer.
      expect(allText(turn!)).toContain(MAIN_PROMPT);
      expect(allText(turn!)).toContain(REPLIES.mainFinal);
      await daemonsDone(home);

      // Every transcript on disk now (the restored one, resumed) is in the store once, line for line.
      const { FileStore } = await import('../../src/store/file-store.js');
      const store = await FileStore.open(join(home, '.confab', 'store'));
      try {
        const sessions = await store.listSessions();
        const main = readdirSync(join(projects, projectDir!)).filter((n) => n.endsWith('.jsonl'));
        expect(main.length).toBeGreaterThanOrEqual(1);
        for (const name of main) {
          const s = sessions.find((x) => x.external_id === name.replace(/\.jsonl$/, ''));
          expect(s, `${name} is stored`).toBeDefined();
          expect(await store.readFile(s!.session_id, name)).toEqual(await expectedStoredBytes(join(projects, projectDir!, name)));
        }
      } finally {
        await store.close();
      }
    } finally {
      await api.close();
    }
  });
});
