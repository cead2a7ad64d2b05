import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { createRedactor } from '../../../src/redact/index.js';
import { decodeLine, oversizedPlaceholder } from '../../../src/sync/line-text.js';
import { REPO_ROOT, waitFor, type RunResult } from '../../helpers/sandbox.js';
import type { HeldSession, World } from './world.js';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/claude-code-real/2.1.332/project-dir');
const FIXTURE_SESSION = '958a0291-14d6-41d4-abad-e3757ff1ad70';
const fixtureLines = (rel: string) => readFileSync(join(FIXTURE, rel), 'utf8').split('\n').slice(0, -1);
const MAIN = fixtureLines(`${FIXTURE_SESSION}.jsonl`);
const AGENT = fixtureLines(`${FIXTURE_SESSION}/subagents/agent-aa8934ac9a2623aee.jsonl`);

/** A GitHub token shaped like a real one: redaction must replace it before upload. */
const TOKEN = 'ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';

let counter = 0;
/** A fresh session id (UUID-shaped, as Claude Code's). */
export function sessionId(): string {
  counter++;
  const rand = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  return `${rand}-${String(process.pid % 10000).padStart(4, '0')}-4000-8000-${String(counter).padStart(12, '0')}`;
}

export type SessionFile = 'main' | 'agent';

/**
 * A Claude Code session written into a sandbox's ~/.claude the way the client writes it: a
 * transcript and one sub-agent file under `<session>/subagents/`, appended line by line with
 * real Claude Code 2.1.332 lines, interleaved with lines carrying a secret (which the daemon
 * must redact) so the end check covers redaction too.
 */
export class ChaosSession {
  readonly id: string;
  readonly cwd: string;
  readonly projectDir: string;
  readonly transcriptPath: string;
  readonly agentName = 'agent-aa8934ac9a2623aee.jsonl';
  readonly agentPath: string;
  private next: Record<SessionFile, number> = { main: 0, agent: 0 };

  constructor(
    readonly world: World,
    opts: { id?: string; cwd?: string } = {},
  ) {
    this.id = opts.id ?? sessionId();
    this.cwd = opts.cwd ?? '/work/app';
    this.projectDir = join(world.sbx.claudeDir, 'projects', '-work-app');
    this.transcriptPath = join(this.projectDir, `${this.id}.jsonl`);
    this.agentPath = join(this.projectDir, this.id, 'subagents', this.agentName);
    mkdirSync(this.projectDir, { recursive: true });
  }

  get transcriptName(): string {
    return `${this.id}.jsonl`;
  }

  path(file: SessionFile): string {
    return file === 'main' ? this.transcriptPath : this.agentPath;
  }

  /** The n-th line this session writes to `file` (deterministic). */
  line(file: SessionFile, n: number): string {
    if (n % 7 === 3) {
      return JSON.stringify({
        type: 'user',
        sessionId: this.id,
        n,
        message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${n}`, content: `export GITHUB_TOKEN=${TOKEN}` }] },
      });
    }
    const source = file === 'main' ? MAIN : AGENT;
    return source[n % source.length] as string;
  }

  /** Append the next `count` lines to `file`. */
  append(count = 1, file: SessionFile = 'main'): void {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(this.line(file, this.next[file]++));
    this.appendRaw(file, `${lines.join('\n')}\n`);
  }

  appendRaw(file: SessionFile, data: string | Buffer): void {
    mkdirSync(dirname(this.path(file)), { recursive: true });
    appendFileSync(this.path(file), data);
  }

  /** Append to both files, a few lines at a time, `rounds` times `gapMs` apart (a session at work). */
  async work(rounds: number, gapMs = 60): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      this.append(1 + (i % 3), 'main');
      if (i % 2 === 0) this.append(1, 'agent');
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  payload(event: 'SessionStart' | 'SessionEnd' | 'UserPromptSubmit', extra: Record<string, unknown> = {}): string {
    return JSON.stringify({
      session_id: this.id,
      transcript_path: this.transcriptPath,
      cwd: this.cwd,
      permission_mode: 'default',
      hook_event_name: event,
      ...(event === 'SessionStart' ? { source: 'startup' } : {}),
      ...(event === 'SessionEnd' ? { reason: 'other' } : {}),
      ...(event === 'UserPromptSubmit' ? { prompt: 'go on' } : {}),
      ...extra,
    });
  }

  /** Run one of the session's hooks through the real CLI; every hook must answer JSON and exit 0. */
  async hook(event: 'session-start' | 'session-end' | 'user-prompt-submit', extra: Record<string, unknown> = {}): Promise<RunResult> {
    const name = event === 'session-start' ? 'SessionStart' : event === 'session-end' ? 'SessionEnd' : 'UserPromptSubmit';
    const res = await this.world.sbx.run(['hook', event], { input: this.payload(name, extra) });
    expect(res.code, res.stderr).toBe(0);
    expect(() => JSON.parse(res.stdout)).not.toThrow();
    return res;
  }

  /** Wait until this session has no daemon and no state file (it finished or gave up). */
  async daemonGone(timeoutMs = 30_000): Promise<void> {
    try {
      await waitFor(() => !existsSync(this.world.statePath(this.id)) && this.world.daemons(this.id).length === 0, {
        what: `session ${this.id.slice(0, 8)}'s daemon to finish`,
        timeoutMs,
      });
    } catch (err) {
      const state = existsSync(this.world.statePath(this.id)) ? readFileSync(this.world.statePath(this.id), 'utf8') : 'no state file';
      throw new Error(`${(err as Error).message}; daemons ${JSON.stringify(this.world.daemons(this.id))}; ${state}; log:\n${this.world.daemonLog(this.id).slice(0, 1500)}\n…\n${this.world.daemonLog(this.id).slice(-1000)}`, { cause: err });
    }
  }
}

const redactor = createRedactor()!;

/**
 * What the backend must hold for a file: each complete line of `source` decoded as documented
 * (invalid UTF-8 → U+FFFD) and passed through the default redaction, with lines longer than
 * `maxLineBytes` replaced by the oversized-line placeholder; each followed by `\n`.
 */
export function expectedContent(source: Buffer, opts: { maxLineBytes?: number } = {}): Buffer {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = source.indexOf(0x0a, start);
    if (nl < 0) break;
    const bytes = source.subarray(start, nl);
    if (opts.maxLineBytes !== undefined && bytes.length > opts.maxLineBytes) {
      out.push(oversizedPlaceholder(bytes.length, createHash('sha256').update(bytes).digest('hex')));
    } else {
      out.push(redactor.redactLine(decodeLine(bytes).text));
    }
    start = nl + 1;
  }
  return Buffer.from(out.map((l) => `${l}\n`).join(''), 'utf8');
}

export function readOr(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/** What the backend must hold for each of the session's files that has a complete line. */
export function expectedFiles(session: ChaosSession): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const [name, path] of [
    [session.transcriptName, session.transcriptPath],
    [session.agentName, session.agentPath],
  ] as const) {
    const content = expectedContent(readOr(path));
    if (content.length > 0) files[name] = content;
  }
  return files;
}

function differs(held: HeldSession | undefined, expected: Record<string, Buffer>): boolean {
  if (!held) return Object.keys(expected).length > 0;
  const names = new Set([...Object.keys(held.files), ...Object.keys(expected)]);
  for (const n of names) if (!held.files[n]?.equals(expected[n] ?? Buffer.alloc(0))) return true;
  return false;
}

/** Line-level view for readable failures: which line numbers differ, and the counts. */
function describe(held: Buffer | undefined, expected: Buffer | undefined): { held_lines: number; expected_lines: number; first_difference?: number } {
  const h = (held ?? Buffer.alloc(0)).toString('utf8').split('\n');
  const e = (expected ?? Buffer.alloc(0)).toString('utf8').split('\n');
  const first = h.findIndex((l, i) => l !== e[i]);
  return { held_lines: h.length - 1, expected_lines: e.length - 1, ...(first >= 0 || h.length !== e.length ? { first_difference: first >= 0 ? first + 1 : Math.min(h.length, e.length) } : {}) };
}

/**
 * The end check: the backend holds every line of every file exactly once, in order,
 * byte-identical to what the source lines become after the default redaction — and nothing
 * else. Waits for the backend to settle first (daemons may still be uploading).
 */
export async function expectBackendHolds(
  world: World,
  session: ChaosSession,
  opts: { expected?: Record<string, Buffer>; timeoutMs?: number } = {},
): Promise<HeldSession> {
  const expected = () => opts.expected ?? expectedFiles(session);
  let held: HeldSession | undefined;
  try {
    await waitFor(
      async () => {
        held = await world.held(session.id);
        return !differs(held, expected());
      },
      { what: 'the backend to hold exactly the session', timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 100 },
    );
  } catch {
    const want = expected();
    const names = [...new Set([...Object.keys(held?.files ?? {}), ...Object.keys(want)])].sort();
    const report = Object.fromEntries(names.map((n) => [n, describe(held?.files[n], want[n])]));
    expect(report, `backend content differs; daemon log:\n${world.daemonLog(session.id).slice(-3000)}`).toEqual(
      Object.fromEntries(names.map((n) => [n, describe(want[n], want[n])])),
    );
  }
  return held!;
}

/** A pending record, validated field by field (what `confab status` will read). */
export function readPendingRecord(world: World, session: ChaosSession): Record<string, unknown> | undefined {
  const path = world.pendingPath(session.id);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Start a session and wait for its first lines to reach the backend. */
export async function startSession(world: World, opts: { id?: string } = {}): Promise<ChaosSession> {
  const s = new ChaosSession(world, opts);
  s.append(3);
  await s.hook('session-start');
  await waitFor(async () => ((await world.held(s.id))?.files[s.transcriptName]?.length ?? 0) > 0, { what: 'the first sync', timeoutMs: 20_000 });
  return s;
}

/**
 * End the session and wait for its daemon to finish; then the end check, the session_end
 * event exactly once with the SessionEnd payload, and no pending record.
 */
export async function endSession(world: World, s: ChaosSession): Promise<HeldSession> {
  await s.hook('session-end');
  await s.daemonGone();
  const held = await expectBackendHolds(world, s);
  expect(held.events.map((e) => e.event_type)).toEqual(['session_end']);
  expect(held.events[0]?.payload).toEqual(JSON.parse(s.payload('SessionEnd')));
  await waitFor(() => readPendingRecord(world, s) === undefined, { what: 'no pending record', timeoutMs: 30_000 });
  return held;
}

/**
 * Wait until the session's daemon has stopped and recorded the session as pending itself
 * (not the handover record the SessionEnd hook writes first); then stop any resume the hooks
 * started meanwhile, so the test decides when the next resume happens.
 */
export async function waitPendingByDaemon(world: World, s: ChaosSession): Promise<Record<string, unknown>> {
  const record = await waitFor(() => {
    const r = readPendingRecord(world, s);
    return r && r.daemon_pid === undefined ? r : undefined;
  }, { what: 'the daemon to record the session as pending', timeoutMs: 30_000 });
  for (const pid of world.daemons(s.id)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await waitFor(() => world.daemons(s.id).length === 0, { what: 'the resumes to stop' });
  return record;
}
