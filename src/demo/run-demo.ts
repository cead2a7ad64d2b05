/**
 * `confab demo`: a sample session synced end to end through a real daemon and the embedded
 * store, then read back.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RemoteSession } from '../backend/backend.js';
import { isBackendError } from '../backend/errors.js';
import { openLocalBackend, type LocalBackend } from '../backend/local.js';
import { confabEntryScript } from '../cli/executable.js';
import { isProcessAlive } from '../process/liveness.js';
import { loadStateForProvider } from '../daemon/state-store.js';
import { stopDaemonForProvider } from '../daemon/stop.js';
import { SAMPLE_AGENT_ID, SAMPLE_AGENT_LINES, SAMPLE_MAIN_LINES } from './sample-session.js';

/**
 * `confab demo`: confab's main job, end to end, on a machine with no agent installed. A
 * throw-away Claude Code home (never the user's ~/.claude) gets a session written into it
 * the way Claude Code writes one, while the real hook commands start and stop a real sync
 * daemon that copies it into the embedded store. Nothing is simulated past the agent itself.
 */

export interface DemoOptions {
  /** The embedded store the session is copied to. */
  storeDir: string;
  /** The daemon's backstop interval; the file watcher usually syncs sooner. */
  intervalMs?: number;
  /** Pause between two writes of the session (ms). */
  pauseMs?: number;
  /** How long to wait for any one step (the daemon starting, a write landing, the final sync). */
  stepTimeoutMs?: number;
  /** A line of progress for the user. */
  say?(line: string): void;
  /** The confab executable the hooks run (this installation's `bin/run.js`). */
  entry?: string;
  env?: NodeJS.ProcessEnv;
}

export interface DemoFile {
  name: string;
  lines: number;
  bytes: number;
  /** The stored copy equals the file on disk, byte for byte. */
  identical: boolean;
}

export interface DemoStep {
  what: string;
  file: string;
  lines: number;
  /** From the write to the store holding it. */
  latencyMs: number;
}

export interface DemoResult {
  externalId: string;
  /** The temporary Claude Code home the session was written in (removed at the end). */
  claudeDir: string;
  backendSessionId: string;
  storeDir: string;
  files: DemoFile[];
  steps: DemoStep[];
  sessionEndRecorded: boolean;
  durationMs: number;
}

/** Claude Code's project key: the cwd with every character other than [A-Za-z0-9] turned into `-`. */
function projectKeyFor(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-');
}

interface Step {
  what: string;
  file: 'main' | 'agent';
  from: number;
  to: number;
}

// The sample's turns, cut where Claude Code itself flushes (hook boundaries in the capture).
const STEPS: readonly Step[] = [
  { what: 'you ask for a command and a sub-agent; Claude Code records the context', file: 'main', from: 0, to: 22 },
  { what: 'the assistant runs `echo hello`', file: 'main', from: 22, to: 28 },
  { what: 'the assistant starts a sub-agent', file: 'main', from: 28, to: 33 },
  { what: 'the sub-agent gets its own transcript', file: 'agent', from: 0, to: 10 },
  { what: 'the sub-agent runs a command', file: 'agent', from: 10, to: 17 },
  { what: 'the sub-agent reports back', file: 'agent', from: 17, to: 25 },
  { what: 'the assistant wraps up the first turn', file: 'main', from: 33, to: 44 },
  { what: 'second turn: "say goodbye"', file: 'main', from: 44, to: 55 },
  { what: 'third turn, resumed: "say hello again"', file: 'main', from: 55, to: 65 },
];

interface HookRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runHook(entry: string, event: string, payload: unknown, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<HookRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, 'hook', event, '--provider', 'claude-code'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`confab hook ${event} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.end(JSON.stringify(payload));
  });
}

function checkHook(event: string, res: HookRun): void {
  let answer: unknown;
  try {
    answer = JSON.parse(res.stdout);
  } catch {
    answer = undefined;
  }
  if (res.code !== 0 || typeof answer !== 'object' || answer === null || (answer as { continue?: unknown }).continue !== true) {
    throw new Error(`confab hook ${event} failed (exit ${res.code}): ${res.stderr.trim().split('\n')[0] ?? ''}`);
  }
}

async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function storedSession(store: LocalBackend, externalId: string): Promise<RemoteSession | undefined> {
  try {
    return await store.getSession(externalId);
  } catch (err) {
    if (isBackendError(err, 'not-found')) return undefined;
    throw err;
  }
}

function storedLines(session: RemoteSession | undefined, fileName: string): number {
  return session?.files.find((f) => f.file_name === fileName)?.last_synced_line ?? 0;
}

function fill(line: string, vars: Record<string, string>): string {
  return line.replace(/\{\{(SESSION_ID|CWD|HOME|PROJECT_KEY)\}\}/g, (_, k: string) => {
    // Values go inside JSON strings.
    return JSON.stringify(vars[k] ?? '').slice(1, -1);
  });
}

/** Shift the capture's timestamps so the session looks like it is happening now. */
function retime(lines: readonly string[], now: number): string[] {
  let first: number | undefined;
  return lines.map((line) =>
    line.replace(/"timestamp":"(\d{4}-\d{2}-\d{2}T[0-9:.]+Z)"/g, (_, iso: string) => {
      const t = Date.parse(iso);
      first ??= t;
      return `"timestamp":"${new Date(now + (t - first)).toISOString()}"`;
    }),
  );
}

/** Play a real Claude Code session through confab's hooks and daemon into the embedded store. */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const say = opts.say ?? (() => {});
  const stepTimeoutMs = opts.stepTimeoutMs ?? 10_000;
  const pauseMs = opts.pauseMs ?? 300;
  const entry = opts.entry ?? confabEntryScript();

  const root = mkdtempSync(join(tmpdir(), 'confab-demo-'));
  const claudeDir = join(root, 'claude');
  const cwd = join(root, 'project');
  mkdirSync(cwd, { recursive: true, mode: 0o700 });
  const projectKey = projectKeyFor(cwd);
  const externalId = randomUUID();
  const transcriptPath = join(claudeDir, 'projects', projectKey, `${externalId}.jsonl`);
  const agentPath = join(claudeDir, 'projects', projectKey, externalId, 'subagents', `agent-${SAMPLE_AGENT_ID}.jsonl`);
  const agentName = `agent-${SAMPLE_AGENT_ID}.jsonl`;
  const mainName = `${externalId}.jsonl`;
  mkdirSync(dirname(transcriptPath), { recursive: true, mode: 0o700 });

  const vars = { SESSION_ID: externalId, CWD: cwd, HOME: root, PROJECT_KEY: projectKey };
  const now = Date.now();
  const main = retime(SAMPLE_MAIN_LINES.map((l) => fill(l, vars)), now);
  const agent = retime(SAMPLE_AGENT_LINES.map((l) => fill(l, vars)), now + 1500);

  const env: NodeJS.ProcessEnv = {
    ...(opts.env ?? process.env),
    CONFAB_CLAUDE_DIR: claudeDir,
    CONFAB_STORE_DIR: opts.storeDir,
    CONFAB_BACKEND_URL: 'local',
    CONFAB_SYNC_INTERVAL_MS: String(opts.intervalMs ?? 250),
    CONFAB_SYNC_JITTER_MS: '0',
  };
  delete env.CONFAB_API_KEY;

  const payload = (event: 'SessionStart' | 'SessionEnd') => ({
    session_id: externalId,
    transcript_path: transcriptPath,
    cwd,
    permission_mode: 'default',
    hook_event_name: event,
    ...(event === 'SessionStart' ? { source: 'startup' } : { reason: 'prompt_input_exit' }),
  });

  const store = await openLocalBackend(opts.storeDir);
  let daemonPid: number | undefined;
  let ended = false;
  try {
    say(`Claude Code home (temporary): ${claudeDir}`);
    say(`Session ${externalId}`);
    const start = await runHook(entry, 'session-start', payload('SessionStart'), env, stepTimeoutMs);
    checkHook('session-start', start);
    const state = await loadStateForProvider('claude-code', externalId);
    if (!state || !isProcessAlive(state.pid)) throw new Error(`the sync daemon did not start: ${start.stderr.trim().split('\n')[0] ?? 'no output'}`);
    daemonPid = state.pid;
    say(`confab hook session-start → sync daemon running (pid ${daemonPid})`);

    const steps: DemoStep[] = [];
    for (const step of STEPS) {
      const lines = (step.file === 'main' ? main : agent).slice(step.from, step.to);
      const path = step.file === 'main' ? transcriptPath : agentPath;
      const name = step.file === 'main' ? mainName : agentName;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const wrote = Date.now();
      appendFileSync(path, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
      await waitUntil(`${name} line ${step.to} to reach the store`, stepTimeoutMs, async () =>
        storedLines(await storedSession(store, externalId), name) >= step.to ? true : undefined,
      );
      const latencyMs = Date.now() - wrote;
      steps.push({ what: step.what, file: name, lines: lines.length, latencyMs });
      const total = step.file === 'main' ? main.length : agent.length;
      say(`  +${String(lines.length).padStart(2)} lines  ${step.file === 'main' ? 'transcript' : 'sub-agent '}  stored ${String(step.to).padStart(2)}/${total} after ${latencyMs} ms   ${step.what}`);
      await new Promise((r) => setTimeout(r, pauseMs));
    }

    const end = await runHook(entry, 'session-end', payload('SessionEnd'), env, stepTimeoutMs);
    checkHook('session-end', end);
    ended = true;
    say('confab hook session-end → the daemon does a final sync and records the end of the session');
    const pid = daemonPid;
    await waitUntil('the daemon to finish', stepTimeoutMs * 2, async () => (isProcessAlive(pid) ? undefined : true));

    const session = await storedSession(store, externalId);
    if (!session) throw new Error('the session is not in the store');
    const events = await storeEvents(opts.storeDir, session.session_id);
    const files: DemoFile[] = [];
    for (const [name, path] of [
      [mainName, transcriptPath],
      [agentName, agentPath],
    ] as const) {
      const local = readFileSync(path);
      const stored = await store.downloadFile(session.session_id, name);
      files.push({ name, lines: storedLines(session, name), bytes: stored.length, identical: stored.equals(local) });
    }
    return {
      externalId,
      claudeDir,
      backendSessionId: session.session_id,
      storeDir: opts.storeDir,
      files,
      steps,
      sessionEndRecorded: events.includes('session_end'),
      durationMs: Date.now() - started,
    };
  } finally {
    // Never leave a daemon following a deleted directory.
    if (!ended && daemonPid !== undefined && isProcessAlive(daemonPid)) {
      await stopDaemonForProvider('claude-code', externalId).catch(() => undefined);
    }
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
}

async function storeEvents(dir: string, sessionId: string): Promise<string[]> {
  const { FileStore } = await import('../store/file-store.js');
  const store = await FileStore.open(dir);
  try {
    return (await store.listEvents(sessionId)).map((e) => e.event_type);
  } finally {
    await store.close();
  }
}
