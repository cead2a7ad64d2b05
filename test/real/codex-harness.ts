import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findCli, pinnedVersion, REAL_DIR, RECORDER, runCli, type CliRun } from './claude-harness.js';

/**
 * Drives the real Codex CLI (installed pinned under test/real/node_modules by `npm run
 * test:real`) in a throwaway HOME and CODEX_HOME against a loopback Responses API stand-in.
 */

/** Every hook event Codex knows (its config and trust keys spell them two ways). */
export const CODEX_HOOK_EVENTS = {
  SessionStart: 'session_start',
  UserPromptSubmit: 'user_prompt_submit',
  PreToolUse: 'pre_tool_use',
  PermissionRequest: 'permission_request',
  PostToolUse: 'post_tool_use',
  PreCompact: 'pre_compact',
  PostCompact: 'post_compact',
  SubagentStart: 'subagent_start',
  SubagentStop: 'subagent_stop',
  Stop: 'stop',
  SessionEnd: 'session_end',
} as const;
export type CodexHookEvent = keyof typeof CODEX_HOOK_EVENTS;

/** The provider id in config.toml and the variable its dummy key is read from. */
export const PROVIDER_ID = 'confab_loopback';
export const KEY_ENV = 'CONFAB_LOOPBACK_OPENAI_KEY';
export const DUMMY_KEY = 'sk-loopback-dummy-key-for-tests-only';
export const MODEL = 'gpt-5-codex';
const PACKAGE = '@openai/codex';

/**
 * The pinned CLI if `npm run test:real` installed it (CODEX_BIN overrides), else null. An
 * installed CLI that cannot report its version is an error, not a reason to skip.
 */
export function findCodex(): { bin: string; version: string } | null {
  return findCli(process.env.CODEX_BIN ?? join(REAL_DIR, 'node_modules', '.bin', 'codex'), /^codex-cli (\d+\.\d+\.\d+)/m);
}

export function pinnedCodexVersion(): string {
  return pinnedVersion(PACKAGE);
}

function tomlString(s: string): string {
  return JSON.stringify(s);
}

/**
 * A hook's timeout (seconds) when config.toml gives none, as Codex normalizes it; it is part
 * of the hash Codex trusts the hook by. SessionEnd gets 1 s, every other event 600 s.
 */
function defaultTimeoutS(eventName: string): number {
  return eventName === 'session_end' ? 1 : 600;
}

/**
 * The hash Codex trusts a hook by: SHA-256 over the compact JSON of the hook's normalized
 * identity, keys sorted; a hook group without a matcher has no `matcher` key. A hook whose
 * hash does not match is dropped without a word, so the suite checks the trust status
 * Codex reports (`codexHookList`) rather than relying on this.
 */
function trustHash(eventName: string, command: string, timeoutS = defaultTimeoutS(eventName)): string {
  const identity = { event_name: eventName, hooks: [{ async: false, command, statusMessage: '', timeout: timeoutS, type: 'command' }] };
  return `sha256:${createHash('sha256').update(JSON.stringify(identity), 'utf8').digest('hex')}`;
}

/**
 * `<codexHome>/config.toml`: the loopback provider (Responses wire, dummy key from
 * KEY_ENV, no retries so a stand-in mistake fails fast), no approvals, no sandbox, and — when
 * `hook` is given — one trusted command hook per event with no matcher (so every tool and
 * every source matches). `timeoutsS` writes a `timeout` for the events it names; the trust
 * hash then uses that value, so a timeout Codex clamps leaves the hook untrusted. Returns
 * the path.
 */
export function writeCodexConfig(
  codexHome: string,
  baseUrl: string,
  hook?: (event: CodexHookEvent) => string,
  opts: { timeoutsS?: Partial<Record<CodexHookEvent, number>> } = {},
): string {
  mkdirSync(codexHome, { recursive: true, mode: 0o700 });
  const path = join(codexHome, 'config.toml');
  const lines = [
    `model = ${tomlString(MODEL)}`,
    `model_provider = ${tomlString(PROVIDER_ID)}`,
    'approval_policy = "never"',
    'sandbox_mode = "danger-full-access"',
    '',
    `[model_providers.${PROVIDER_ID}]`,
    'name = "confab loopback"',
    `base_url = ${tomlString(baseUrl)}`,
    `env_key = ${tomlString(KEY_ENV)}`,
    'wire_api = "responses"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ];
  if (hook) {
    lines.push('[features]', 'hooks = true', '');
    const state: string[] = [];
    for (const [event, eventName] of Object.entries(CODEX_HOOK_EVENTS) as Array<[CodexHookEvent, string]>) {
      const command = hook(event);
      const timeout = opts.timeoutsS?.[event];
      lines.push(`[[hooks.${event}]]`, `[[hooks.${event}.hooks]]`, 'type = "command"', `command = ${tomlString(command)}`, ...(timeout !== undefined ? [`timeout = ${timeout}`] : []), 'statusMessage = ""', '');
      state.push(`[hooks.state.${tomlString(`${path}:${eventName}:0:0`)}]`, `trusted_hash = ${tomlString(trustHash(eventName, command, timeout))}`, '');
    }
    lines.push(...state);
  }
  writeFileSync(path, lines.join('\n'), { mode: 0o600 });
  return path;
}

/** The recorder as a Codex hook (Codex runs the command through the shell). */
export function codexRecorderHook(event: CodexHookEvent): string {
  return `${process.execPath} ${RECORDER} ${event}`;
}

/** The CLI's whole environment, built from nothing so the developer's own Codex setup never leaks in. */
export function codexEnv(opts: { home: string; codexHome: string; extra?: Record<string, string> }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: opts.home,
    CODEX_HOME: opts.codexHome,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    SHELL: '/bin/bash',
    [KEY_ENV]: DUMMY_KEY,
    ...opts.extra,
  };
}

export function runCodex(bin: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<CliRun> {
  return runCli('codex', bin, args, opts);
}

/** The thread id from `codex exec --json` output (its `thread.started` event). */
export function threadIdOf(stdout: string): string | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const ev = JSON.parse(line) as { type?: unknown; thread_id?: unknown };
      if (ev.type === 'thread.started' && typeof ev.thread_id === 'string') return ev.thread_id;
    } catch {
      // Not an event line.
    }
  }
  return undefined;
}

/** One hook as `codex app-server`'s `hooks/list` reports it. */
export interface CodexHookListEntry {
  key: string;
  eventName: string;
  matcher: string | null;
  timeoutSec: number;
  trustStatus: string;
  enabled: boolean;
}

/**
 * The hooks Codex sees for `cwd`, with their trust status, from its own app server
 * (`initialize`, then `hooks/list` over JSON-RPC lines on stdio).
 */
export function codexHookList(bin: string, opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CodexHookListEntry[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['app-server'], { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    let stderr = '';
    const finish = (err: Error | null, hooks?: CodexHookListEntry[]): void => {
      clearTimeout(timer);
      child.kill('SIGTERM');
      if (err) reject(err);
      else resolve(hooks ?? []);
    };
    const timer = setTimeout(() => finish(new Error(`codex app-server gave no hooks/list answer within ${opts.timeoutMs ?? 30_000} ms; stderr: ${stderr.slice(-2000)}`)), opts.timeoutMs ?? 30_000);
    const send = (msg: unknown): void => {
      child.stdin.write(JSON.stringify(msg) + '\n');
    };
    child.once('error', (err) => finish(err));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg: { id?: unknown; result?: unknown; error?: unknown };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          continue;
        }
        if (msg.id === 1) {
          send({ method: 'initialized' });
          send({ id: 2, method: 'hooks/list', params: { cwds: [opts.cwd] } });
        } else if (msg.id === 2) {
          if (msg.error !== undefined) return finish(new Error(`hooks/list failed: ${JSON.stringify(msg.error)}`));
          const data = (msg.result as { data?: Array<{ hooks?: unknown[] }> } | undefined)?.data ?? [];
          const hooks = data.flatMap((d) => d.hooks ?? []).map((h) => {
            const e = h as Record<string, unknown>;
            return {
              key: String(e.key),
              eventName: String(e.eventName),
              matcher: typeof e.matcher === 'string' ? e.matcher : null,
              timeoutSec: Number(e.timeoutSec),
              trustStatus: String(e.trustStatus),
              enabled: e.enabled === true,
            };
          });
          return finish(null, hooks);
        }
      }
    });
    send({ id: 1, method: 'initialize', params: { clientInfo: { name: 'confab-real-suite', version: '1' } } });
  });
}
