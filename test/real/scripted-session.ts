import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  claudeEnv,
  isAlive,
  listFiles,
  makeGitProject,
  recorderHook,
  runClaude,
  writeClaudeSettings,
  type ClaudeRun,
  type HookCommand,
} from './claude-harness.js';
import { CONTINUE_PROMPT, MAIN_PROMPT, RESUME_PROMPT, scriptedSession, startFakeAnthropic, type RequestLogEntry } from './fake-anthropic.js';

/** One hook call as the recorder wrote it. */
export interface HookRecord {
  phase: 'received';
  pid: number;
  event: string;
  argv: string[];
  receivedAt: string;
  receivedAtMs: number;
  finishedAtMs: number;
  cwd: string;
  stdin: string;
  stdinIsJson: boolean;
  transcript: FileSeen | null;
  agentTranscript: FileSeen | null;
  processChain: ProcEntry[];
  env: { names: string[]; claude: Record<string, string>; codex?: Record<string, string> };
  probes?: { detachedPid: number; attachedPid: number };
  /** For a call told to sleep: how it ended (finished the sleep, or a signal from the client). */
  outcome?: HookOutcome;
}

export interface HookOutcome {
  phase: 'finished' | 'signal';
  pid: number;
  event: string;
  atMs: number;
  signal?: string;
  delayMs?: number;
}

/** A file named in a payload, as the hook saw it. */
export interface FileSeen {
  exists: boolean;
  size?: number;
  endsWithNewline?: boolean;
}

export interface ProcEntry {
  pid: number;
  launcher?: boolean;
  comm?: string;
  state?: string;
  ppid?: number;
  pgid?: number;
  sid?: number;
  argv?: string[] | null;
  exe?: string | null;
  error?: string;
}

export interface TurnPlan {
  name: string;
  prompt: string;
  /** How the turn joins the session: a new one, `--continue`, or `--resume <first turn's id>`. */
  join: 'new' | 'continue' | 'resume';
  /** The recorder's SessionStart leaves sleeping processes behind, to see what outlives the CLI. */
  probe?: boolean;
  /** Milliseconds the SessionEnd hook sleeps (to see whether the CLI waits for it). */
  sessionEndDelayMs?: number;
  /** A `timeout` (seconds) on the SessionEnd hook in settings.json for this turn. */
  sessionEndTimeoutS?: number;
}

export interface TurnCapture {
  plan: TurnPlan;
  args: string[];
  run: ClaudeRun;
  /** The session id the CLI reported in its JSON result. */
  sessionId: string;
  hooks: HookRecord[];
  requests: RequestLogEntry[];
  /** Files under ~/.claude right after the CLI exited. */
  claudeFiles: string[];
  /** Every *.jsonl and *.json under ~/.claude/projects right after the CLI exited, by path relative to it. */
  projectFiles: Record<string, string>;
  probes?: { detachedAlive: boolean; attachedAlive: boolean };
}

export interface SessionCapture {
  root: string;
  home: string;
  project: string;
  hookLog: string;
  turns: TurnCapture[];
}

export interface ScriptedSessionOptions {
  bin: string;
  /** The hook command per event; the recorder by default. */
  hook?: HookCommand;
  turns?: TurnPlan[];
  timeoutMs?: number;
}

/**
 * The default plan: the main prompt (Bash, a foreground sub-agent that runs Bash, text), then
 * a `--continue` turn whose SessionEnd hook outsleeps the default exit budget, then a
 * `--resume` turn whose SessionEnd hook sleeps as long but declares a `timeout`.
 */
export const DEFAULT_TURNS: TurnPlan[] = [
  { name: 'first', prompt: MAIN_PROMPT, join: 'new', probe: true },
  { name: 'continue', prompt: CONTINUE_PROMPT, join: 'continue', sessionEndDelayMs: 4000 },
  { name: 'resume', prompt: RESUME_PROMPT, join: 'resume', sessionEndDelayMs: 2500, sessionEndTimeoutS: 10 },
];

/** The recorder's log: one record per complete line, with the outcome of a delayed call merged in. */
export function readHookLog(path: string): HookRecord[] {
  if (!existsSync(path)) return [];
  // The recorder may be appending while we read: the last line counts once its "\n" is there.
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .slice(0, -1)
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as HookRecord | HookOutcome);
  const calls = lines.filter((l): l is HookRecord => l.phase === 'received');
  for (const l of lines) {
    if (l.phase === 'received') continue;
    const call = calls.find((c) => c.pid === l.pid);
    if (call) call.outcome = l;
  }
  return calls;
}

function resultSessionId(stdout: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`claude printed no JSON result: ${stdout.slice(0, 500)}`);
  }
  const id = (parsed as { session_id?: unknown }).session_id;
  if (typeof id !== 'string') throw new Error('claude\'s JSON result has no session_id');
  return id;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Run the turns in one throwaway HOME and git project, against one API stand-in. Each turn's
 * hook calls, API requests and the ~/.claude listing are captured separately.
 */
export async function runScriptedSession(opts: ScriptedSessionOptions): Promise<SessionCapture> {
  const root = mkdtempSync(join(tmpdir(), 'confab-real-'));
  const home = join(root, 'home');
  const project = join(root, 'project');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  makeGitProject(project);
  const hookLog = join(root, 'hooks.jsonl');
  const api = await startFakeAnthropic(scriptedSession);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const turns: TurnCapture[] = [];
  try {
    for (const plan of opts.turns ?? DEFAULT_TURNS) {
      writeClaudeSettings(home, opts.hook ?? recorderHook, {
        timeoutsS: plan.sessionEndTimeoutS !== undefined ? { SessionEnd: plan.sessionEndTimeoutS } : {},
      });
      const joinArgs =
        plan.join === 'continue' ? ['--continue'] : plan.join === 'resume' ? ['--resume', firstSessionId(turns)] : [];
      const args = ['-p', plan.prompt, ...joinArgs, '--permission-mode', 'bypassPermissions', '--output-format', 'json'];
      const extra: Record<string, string> = { HOOK_RECORDER_LOG: hookLog, HOOK_RECORDER_STOP_PID: String(process.pid) };
      if (plan.probe) extra.HOOK_RECORDER_PROBE = '1';
      if (plan.sessionEndDelayMs) extra.HOOK_RECORDER_DELAY_MS_SessionEnd = String(plan.sessionEndDelayMs);
      const hooksBefore = readHookLog(hookLog).length;
      const requestsBefore = api.requests.length;
      const run = await runClaude(opts.bin, args, { cwd: project, env: claudeEnv({ home, baseUrl: api.url, extra }), timeoutMs });
      if (run.code !== 0) throw new Error(`claude exited ${run.code ?? run.signal}: ${run.stderr.slice(-2000)}`);
      const turn: TurnCapture = {
        plan,
        args,
        run,
        sessionId: resultSessionId(run.stdout),
        hooks: [],
        requests: api.requests.slice(requestsBefore),
        claudeFiles: listFiles(join(home, '.claude')),
        projectFiles: snapshotProjectFiles(join(home, '.claude', 'projects')),
      };
      const probes = readHookLog(hookLog)
        .slice(hooksBefore)
        .find((h) => h.probes)?.probes;
      if (probes) {
        turn.probes = { detachedAlive: isAlive(probes.detachedPid), attachedAlive: isAlive(probes.attachedPid) };
        killQuietly(probes.detachedPid);
        killQuietly(probes.attachedPid);
      }
      turns.push(turn);
    }
    // A cancelled hook may still be writing its outcome; read the log once every turn is over.
    await waitForOutcomes(hookLog, turns);
    const all = readHookLog(hookLog);
    for (const turn of turns) turn.hooks = all.filter((h) => inTurn(h, turn));
  } finally {
    await api.close();
  }
  return { root, home, project, hookLog, turns };
}

function snapshotProjectFiles(projectsDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of listFiles(projectsDir)) if (/\.jsonl?$/.test(rel)) out[rel] = readFileSync(join(projectsDir, rel), 'utf8');
  return out;
}

function firstSessionId(turns: readonly TurnCapture[]): string {
  const first = turns[0];
  if (!first) throw new Error('a resume turn needs an earlier turn');
  return first.sessionId;
}

/** Delayed hook calls end by finishing their sleep or by a signal; wait (bounded) for that record. */
async function waitForOutcomes(hookLog: string, turns: readonly TurnCapture[]): Promise<void> {
  const longest = Math.max(0, ...turns.map((t) => t.plan.sessionEndDelayMs ?? 0));
  const deadline = Date.now() + longest + 2000;
  while (Date.now() < deadline) {
    const pending = readHookLog(hookLog).filter((h) => h.event === 'SessionEnd' && !h.outcome && isDelayed(h, turns));
    if (pending.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function inTurn(h: HookRecord, turn: TurnCapture): boolean {
  return h.receivedAtMs >= turn.run.startedAtMs && h.receivedAtMs <= turn.run.exitedAtMs;
}

function isDelayed(h: HookRecord, turns: readonly TurnCapture[]): boolean {
  return turns.some((t) => (t.plan.sessionEndDelayMs ?? 0) > 0 && inTurn(h, t));
}
