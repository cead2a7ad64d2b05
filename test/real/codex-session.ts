import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGitProject, listFiles, type CliRun } from './claude-harness.js';
import { codexEnv, codexHookList, codexRecorderHook, DUMMY_KEY, runCodex, threadIdOf, writeCodexConfig, type CodexHookEvent, type CodexHookListEntry } from './codex-harness.js';
import { CODEX_MAIN_PROMPT, CODEX_RESUME_PROMPT, codexScript, startFakeResponses, type ResponsesLogEntry } from './fake-responses.js';
import { readHookLog, type HookRecord } from './scripted-session.js';

/**
 * The scripted Codex session with the recorder as every hook: `codex exec` of the main
 * prompt (a text, a shell call `echo hello`, a final text), then, once it has exited, `codex
 * exec resume --last` with another prompt. Each run's hook calls, API requests and the
 * rollouts under `$CODEX_HOME/sessions` are captured.
 */

export interface CodexTurnPlan {
  name: 'exec' | 'resume';
  args: string[];
}

export const CODEX_TURNS: readonly CodexTurnPlan[] = [
  { name: 'exec', args: ['exec', '--json', CODEX_MAIN_PROMPT] },
  { name: 'resume', args: ['exec', 'resume', '--last', '--json', CODEX_RESUME_PROMPT] },
];

export interface CodexTurnCapture {
  plan: CodexTurnPlan;
  run: CliRun;
  /** From the run's `thread.started` event. */
  threadId: string | undefined;
  hooks: HookRecord[];
  requests: ResponsesLogEntry[];
  /** Every file under $CODEX_HOME/sessions right after the CLI exited (relative). */
  sessionFiles: string[];
  /** Each rollout's text right after the CLI exited, by path relative to $CODEX_HOME. */
  rollouts: Record<string, string>;
}

export interface CodexCapture {
  root: string;
  home: string;
  codexHome: string;
  project: string;
  hookLog: string;
  /** The hooks Codex saw before the first run, with their trust status. */
  hookList: CodexHookListEntry[];
  turns: CodexTurnCapture[];
}

export async function runCodexSession(opts: { bin: string; root: string; hook?: (event: CodexHookEvent) => string; timeoutMs?: number }): Promise<CodexCapture> {
  const home = join(opts.root, 'home');
  const codexHome = join(home, '.codex');
  const project = join(opts.root, 'project');
  const hookLog = join(opts.root, 'hooks.jsonl');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  makeGitProject(project);
  const api = await startFakeResponses(codexScript, { dummyKey: DUMMY_KEY });
  try {
    writeCodexConfig(codexHome, api.url, opts.hook ?? codexRecorderHook);
    const env = codexEnv({ home, codexHome, extra: { HOOK_RECORDER_LOG: hookLog, HOOK_RECORDER_STOP_PID: String(process.pid) } });
    const hookList = await codexHookList(opts.bin, { cwd: project, env });
    const turns: CodexTurnCapture[] = [];
    for (const plan of CODEX_TURNS) {
      const hooksBefore = readHookLog(hookLog).length;
      const requestsBefore = api.requests.length;
      const run = await runCodex(opts.bin, plan.args, { cwd: project, env, timeoutMs: opts.timeoutMs ?? 120_000 });
      if (run.code !== 0) throw new Error(`codex ${plan.args.join(' ')} exited ${run.code ?? run.signal}: ${run.stderr.slice(-2000)}`);
      const sessionsDir = join(codexHome, 'sessions');
      const sessionFiles = listFiles(sessionsDir);
      const rollouts: Record<string, string> = {};
      for (const rel of sessionFiles.filter((f) => f.endsWith('.jsonl'))) rollouts[`sessions/${rel}`] = readFileSync(join(sessionsDir, rel), 'utf8');
      turns.push({
        plan,
        run,
        threadId: threadIdOf(run.stdout),
        hooks: readHookLog(hookLog).slice(hooksBefore),
        requests: api.requests.slice(requestsBefore),
        sessionFiles,
        rollouts,
      });
    }
    return { root: opts.root, home, codexHome, project, hookLog, hookList, turns };
  } finally {
    await api.close();
  }
}
