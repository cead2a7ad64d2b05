import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { claudeEnv, findClaude, makeGitProject, runClaude } from './claude-harness.js';
import { daemonsDone, expectedStoredBytes } from './confab-check.js';
import { CONTINUE_PROMPT, MAIN_PROMPT, scriptedSession, startFakeAnthropic } from './fake-anthropic.js';

// The real Claude Code CLI with confab's real hooks, installed by `confab hooks add`:
// every transcript and sub-agent file must arrive in confab's embedded store exactly.
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFAB = join(REPO_ROOT, 'bin', 'run.js');
const claude = findClaude();

const root = mkdtempSync(join(tmpdir(), 'confab-real-sync-'));
afterAll(() => {
  if (process.env.REAL_CLAUDE_KEEP !== '1') rmSync(root, { recursive: true, force: true });
});

/** Every .jsonl under the Claude projects dir, keyed by its path relative to the session dir's parent. */
function transcripts(projectsDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name.endsWith('.jsonl')) out.set(relative(projectsDir, p), p);
    }
  };
  if (existsSync(projectsDir)) walk(projectsDir);
  return out;
}

describe.skipIf(!claude)(`real Claude Code ${claude?.version ?? '(not installed)'} with confab's hooks`, () => {
  it('syncs a session with a Bash call and a sub-agent, then a --continue turn, exactly once per line', async () => {
    const home = join(root, 'home');
    const project = join(root, 'project');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    makeGitProject(project);
    const api = await startFakeAnthropic(scriptedSession);
    const env = claudeEnv({
      home,
      baseUrl: api.url,
      extra: { CONFAB_SYNC_INTERVAL_MS: '500', CONFAB_SYNC_JITTER_MS: '0' },
    });
    try {
      const add = spawnSync(process.execPath, [CONFAB, 'hooks', 'add', '--provider', 'claude-code'], { env, encoding: 'utf8' });
      expect(add.status, add.stderr).toBe(0);
      const settings = readFileSync(join(home, '.claude', 'settings.json'), 'utf8');
      expect(settings).toContain('hook session-start --provider claude-code');

      const first = await runClaude(claude!.bin, ['-p', MAIN_PROMPT, '--permission-mode', 'bypassPermissions', '--output-format', 'json'], { cwd: project, env, timeoutMs: 90_000 });
      expect(first.code, first.stderr).toBe(0);
      await daemonsDone(home);
      const second = await runClaude(claude!.bin, ['-p', CONTINUE_PROMPT, '--continue', '--permission-mode', 'bypassPermissions', '--output-format', 'json'], { cwd: project, env, timeoutMs: 90_000 });
      expect(second.code, second.stderr).toBe(0);
      await daemonsDone(home);

      const files = transcripts(join(home, '.claude', 'projects'));
      const main = [...files.keys()].filter((k) => !k.includes('/subagents/'));
      const agents = [...files.keys()].filter((k) => k.includes('/subagents/'));
      expect(main).toHaveLength(1);
      expect(agents.length).toBeGreaterThanOrEqual(1);

      const { FileStore } = await import('../../src/store/file-store.js');
      const store = await FileStore.open(join(home, '.confab', 'store'));
      try {
        const sessions = await store.listSessions();
        expect(sessions).toHaveLength(1);
        const s = sessions[0]!;
        const stored = new Map(s.files.map((f) => [f.file_name, f]));
        const mainName = main[0]!.split('/').pop()!;
        expect(await store.readFile(s.session_id, mainName)).toEqual(await expectedStoredBytes(files.get(main[0]!)!));
        for (const a of agents) {
          const name = a.split('/').pop()!;
          expect(stored.has(name), `${name} synced`).toBe(true);
          expect(await store.readFile(s.session_id, name)).toEqual(await expectedStoredBytes(files.get(a)!));
        }
        const events = await store.listEvents(s.session_id);
        expect(events.map((e) => e.event_type)).toEqual(['session_end', 'session_end']);
      } finally {
        await store.close();
      }
    } finally {
      await api.close();
    }
  });
});
