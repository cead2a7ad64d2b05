import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeEnv, isAlive, listFiles, makeGitProject, recorderHook, writeClaudeSettings, type HookCommand } from './claude-harness.js';
import { MAIN_PROMPT, scriptedSession, startFakeAnthropic, type RequestLogEntry } from './fake-anthropic.js';
import { readHookLog, type HookRecord } from './scripted-session.js';

/**
 * The interactive client (the way people use it), in a tmux pane: launch, optionally type the
 * main prompt and wait for the turn and its sub-agent to finish, then `/exit`.
 */

export interface InteractiveScenario {
  name: string;
  prompt: string | null;
  claudePid: number;
  startedAtMs: number;
  exitedAtMs: number;
  hooks: HookRecord[];
  requests: RequestLogEntry[];
  /** ~/.claude/sessions/<pid>.json while the client ran (null if it never appeared). */
  sessionsFile: string | null;
  sessionsFileAfterExit: boolean;
  claudeFiles: string[];
  projectFiles: Record<string, string>;
  /** The pane when the client was ready for input. */
  readyScreen: string;
}

export interface InteractiveCapture {
  root: string;
  home: string;
  project: string;
  scenarios: InteractiveScenario[];
}

export const FAKE_API_KEY = 'sk-ant-api03-fake-key-for-loopback-tests-only';

export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
}

async function waitUntil<T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first-run dialogs (theme, folder trust, API key, bypass-mode warning), answered ahead. */
function seedClaudeJson(home: string, project: string): void {
  const state = {
    hasCompletedOnboarding: true,
    theme: 'dark',
    bypassPermissionsModeAccepted: true,
    customApiKeyResponses: { approved: [FAKE_API_KEY.slice(-20)], rejected: [] },
    projects: { [project]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
  };
  writeFileSync(join(home, '.claude.json'), JSON.stringify(state, null, 2), { mode: 0o600 });
}

function snapshotProjectFiles(projectsDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of listFiles(projectsDir)) if (/\.jsonl?$/.test(rel)) out[rel] = readFileSync(join(projectsDir, rel), 'utf8');
  return out;
}

export async function runInteractiveSession(opts: { bin: string; hook?: HookCommand }): Promise<InteractiveCapture> {
  const root = mkdtempSync(join(tmpdir(), 'confab-real-'));
  const home = join(root, 'home');
  const project = join(root, 'project');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  makeGitProject(project);
  writeClaudeSettings(home, opts.hook ?? recorderHook);
  seedClaudeJson(home, project);
  // tmux's socket path must stay short, and outside the capture (a socket cannot be copied).
  const sockDir = mkdtempSync(join(tmpdir(), 'cfx-tmux-'));
  const sock = join(sockDir, 's');
  const tmux = (...args: string[]): { status: number | null; stdout: string } => {
    const res = spawnSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });
    return { status: res.status, stdout: res.stdout ?? '' };
  };
  const screen = (): string => tmux('capture-pane', '-p', '-t', 'cc').stdout;
  const api = await startFakeAnthropic(scriptedSession);
  const scenarios: InteractiveScenario[] = [];
  try {
    for (const [name, prompt] of [
      ['prompt-then-exit', MAIN_PROMPT],
      ['exit-without-prompt', null],
    ] as const) {
      const hookLog = join(root, `hooks-${name}.jsonl`);
      const env = claudeEnv({
        home,
        baseUrl: api.url,
        extra: { TERM: 'xterm-256color', HOOK_RECORDER_LOG: hookLog, HOOK_RECORDER_STOP_PID: String(process.pid) },
      });
      const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v ?? ''}`]);
      const requestsBefore = api.requests.length;
      const startedAtMs = Date.now();
      const started = tmux('new-session', '-d', '-s', 'cc', '-x', '160', '-y', '50', '-c', project, ...envArgs, opts.bin, '--permission-mode', 'bypassPermissions');
      if (started.status !== 0) throw new Error('tmux could not start the client');
      const start = await waitUntil('the SessionStart hook', 30_000, () => readHookLog(hookLog).find((h) => h.event === 'SessionStart'));
      const claudePid = Number(start.env.claude.CLAUDE_PID);
      const sessionsPath = join(home, '.claude', 'sessions', `${claudePid}.json`);
      const readyScreen = await waitUntil('the input prompt', 30_000, () => {
        const s = screen();
        return s.includes('❯') && s.includes('bypass permissions') ? s : undefined;
      });
      const sessionsFile = existsSync(sessionsPath) ? readFileSync(sessionsPath, 'utf8') : null;
      const typeLine = async (text: string): Promise<void> => {
        tmux('send-keys', '-t', 'cc', '-l', text);
        // Enter only once the text is on screen, or the client may take it as part of a paste.
        await waitUntil(`"${text.slice(0, 20)}" on screen`, 10_000, () => screen().includes(text.slice(0, 40)));
        tmux('send-keys', '-t', 'cc', 'Enter');
      };
      if (prompt) {
        await typeLine(prompt);
        // Done when the sub-agent has stopped and a Stop hook came after it.
        await waitUntil('the turn and its sub-agent to finish', 60_000, () => {
          const events = readHookLog(hookLog).map((h) => h.event);
          const subStop = events.indexOf('SubagentStop');
          return subStop >= 0 && events.slice(subStop + 1).includes('Stop');
        });
        await waitUntil('the input prompt after the turn', 30_000, () => screen().includes('❯'));
      }
      await typeLine('/exit');
      await waitUntil('the client to exit', 30_000, () => !isAlive(claudePid));
      const exitedAtMs = Date.now();
      tmux('kill-session', '-t', 'cc');
      scenarios.push({
        name,
        prompt,
        claudePid,
        startedAtMs,
        exitedAtMs,
        hooks: readHookLog(hookLog),
        requests: api.requests.slice(requestsBefore),
        sessionsFile,
        sessionsFileAfterExit: existsSync(sessionsPath),
        claudeFiles: listFiles(join(home, '.claude')),
        projectFiles: snapshotProjectFiles(join(home, '.claude', 'projects')),
        readyScreen,
      });
    }
  } finally {
    tmux('kill-server');
    rmSync(sockDir, { recursive: true, force: true });
    await api.close();
  }
  return { root, home, project, scenarios };
}
