import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Drives the real Claude Code CLI (installed pinned under test/real/node_modules by
 * `npm run test:real`) in a throwaway HOME against a loopback API stand-in.
 */

export const REAL_DIR = fileURLToPath(new URL('.', import.meta.url));
export const RECORDER = join(REAL_DIR, 'hook-recorder.mjs');

/** Every hook event the suite registers. */
export const HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'SubagentStart',
  'SubagentStop',
  'Stop',
  'SessionEnd',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/** Tool events take a matcher; "*" matches every tool. */
const MATCHED_EVENTS: ReadonlySet<HookEvent> = new Set(['PreToolUse', 'PostToolUse']);

/** Turns an event into the shell command Claude Code runs for it. */
export type HookCommand = (event: HookEvent) => string;

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The recorder hook. To exercise confab's own hooks instead, pass another HookCommand. */
export const recorderHook: HookCommand = (event) => `${shellQuote(process.execPath)} ${shellQuote(RECORDER)} ${event}`;

export interface ClaudeInstall {
  bin: string;
  version: string;
}

/**
 * The pinned CLI if `npm run test:real` installed it (CLAUDE_CODE_BIN overrides), else null.
 * An installed CLI that cannot report its version is an error, not a reason to skip.
 */
export function findClaude(): ClaudeInstall | null {
  return findCli(process.env.CLAUDE_CODE_BIN ?? join(REAL_DIR, 'node_modules', '.bin', 'claude'), /^(\d+\.\d+\.\d+)/);
}

/**
 * `bin` and the version its `--version` prints (the first group of `versionPattern`), run in
 * a throwaway HOME; null when `bin` does not exist, an error when it cannot say its version.
 */
export function findCli(bin: string, versionPattern: RegExp): { bin: string; version: string } | null {
  if (!existsSync(bin)) return null;
  const home = mkdtempSync(join(tmpdir(), 'confab-cli-version-'));
  try {
    const res = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', HOME: home, CODEX_HOME: home } });
    const match = versionPattern.exec(res.stdout ?? '');
    if (res.status !== 0 || !match?.[1]) {
      throw new Error(`${bin} --version failed (exit ${res.status ?? res.signal}): ${(res.stderr || res.stdout || String(res.error)).trim()}`);
    }
    return { bin, version: match[1] };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The version test/real/package.json pins. */
export function pinnedVersion(pkgName = '@anthropic-ai/claude-code'): string {
  const pkg = JSON.parse(readFileSync(join(REAL_DIR, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const v = pkg.devDependencies?.[pkgName];
  if (!v) throw new Error(`test/real/package.json does not pin ${pkgName}`);
  return v;
}

/**
 * `<home>/.claude/settings.json` with one command hook per event; `timeoutsS` sets a hook's
 * `timeout` (seconds) for the events it names.
 */
export function writeClaudeSettings(
  home: string,
  hook: HookCommand,
  opts: { events?: readonly HookEvent[]; timeoutsS?: Partial<Record<HookEvent, number>> } = {},
): string {
  const events = opts.events ?? HOOK_EVENTS;
  const dir = join(home, '.claude');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hooks: Record<string, unknown[]> = {};
  for (const event of events) {
    const timeout = opts.timeoutsS?.[event];
    const group: Record<string, unknown> = {
      hooks: [{ type: 'command', command: hook(event), ...(timeout !== undefined ? { timeout } : {}) }],
    };
    if (MATCHED_EVENTS.has(event)) group.matcher = '*';
    hooks[event] = [group];
  }
  const path = join(dir, 'settings.json');
  writeFileSync(path, JSON.stringify({ hooks }, null, 2) + '\n', { mode: 0o600 });
  return path;
}

/**
 * The CLI's whole environment, built from nothing so the developer's own Claude settings,
 * keys and proxies never leak in. IS_SANDBOX lets bypassPermissions run as root (CI is root).
 */
export function claudeEnv(opts: { home: string; baseUrl: string; extra?: Record<string, string> }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: opts.home,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    SHELL: '/bin/bash',
    ANTHROPIC_BASE_URL: opts.baseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-api03-fake-key-for-loopback-tests-only',
    IS_SANDBOX: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    ...opts.extra,
  };
}

export interface CliRun {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  startedAtMs: number;
  exitedAtMs: number;
}

export type ClaudeRun = CliRun;

/** Run the CLI to completion; kills it (and fails) after timeoutMs. */
export function runClaude(bin: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ClaudeRun> {
  return runCli('claude', bin, args, opts);
}

/** Run a client CLI (`name` is for messages) to completion; kills it (and fails) after timeoutMs. */
export function runCli(
  name: string,
  bin: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const startedAtMs = Date.now();
    const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} ${args.join(' ')} did not exit within ${opts.timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      const exitedAtMs = Date.now();
      clearTimeout(timer);
      // 'close' follows once the pipes drain; the exit time is taken at 'exit'.
      child.once('close', () => resolve({ pid: child.pid ?? -1, code, signal, stdout, stderr, startedAtMs, exitedAtMs }));
    });
  });
}

/** A git repository with one commit, as a project directory. */
export function makeGitProject(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]): void => {
    const res = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${res.stderr}`);
  };
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'README.md'), '# scratch project\n');
  git('add', 'README.md');
  git('-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', 'commit', '-q', '-m', 'init');
}

/** Every file and directory under root, relative and sorted; directories end with "/". */
export function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (ent.isDirectory()) {
        out.push(relative(root, p) + '/');
        walk(p);
      } else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
