import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CONFAB_BIN = join(REPO_ROOT, 'bin', 'run.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/**
 * A hermetic world for one test: its own HOME and XDG dirs (so ~/.confab, ~/.claude and
 * oclif's plugin dir are temp dirs),
 * confab's env vars pointed inside it, a short sync interval, and every process it starts
 * — including detached daemons spawned by hooks — killed at cleanup.
 */
/** The parent's PID from /proc (0 once the process is gone). */
function parentPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

export class Sandbox {
  readonly root: string;
  readonly home: string;
  readonly claudeDir: string;
  readonly confabDir: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly children = new Set<ChildProcess>();

  constructor(envOverrides: NodeJS.ProcessEnv = {}) {
    this.root = mkdtempSync(join(tmpdir(), 'confab-sbx-'));
    this.home = join(this.root, 'home');
    this.claudeDir = join(this.home, '.claude');
    this.confabDir = join(this.home, '.confab');
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('CONFAB_')) delete env[key];
    this.env = {
      ...env,
      HOME: this.home,
      // oclif (plugins, caches) and cosmiconfig follow the XDG dirs: keep them in the sandbox too.
      XDG_DATA_HOME: join(this.home, '.local', 'share'),
      XDG_CONFIG_HOME: join(this.home, '.config'),
      XDG_CACHE_HOME: join(this.home, '.cache'),
      CONFAB_SYNC_INTERVAL_MS: '200',
      CONFAB_SYNC_JITTER_MS: '0',
      // The test servers allow far more than confab-web: daemons still share a budget file, at a pace that never holds a test up.
      CONFAB_UPLOAD_LIMIT: '1000/1000',
      ...envOverrides,
    };
  }

  /** A fresh directory inside the sandbox. */
  dir(name: string): string {
    const path = join(this.root, name);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /** Start a process that cleanup() will kill. */
  spawn(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn(cmd, args, { env: this.env, cwd: this.root, ...opts });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Run `confab <args>` (the built CLI) and collect its output. */
  run(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.exec(process.execPath, [CONFAB_BIN, ...args], opts);
  }

  exec(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const child = this.spawn(cmd, args, {
      env: { ...this.env, ...opts.env },
      cwd: opts.cwd ?? this.root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.stdin?.end(opts.input ?? '');
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
      });
    });
  }

  /**
   * PIDs of live processes whose environment has this sandbox's HOME: catches detached
   * daemons that no handle in this process points to.
   */
  strayPids(): number[] {
    const needle = Buffer.from(`HOME=${this.home}\0`);
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
      } catch {
        // gone, or not ours
      }
    }
    return pids;
  }

  /**
   * The sandbox's background sync daemons (live processes started with `--bg-daemon`). Not a
   * daemon's own child between its fork and its exec (a `git` lookup, for a few milliseconds a
   * copy of the daemon with the same command line): counted, it would make "three daemons" four,
   * and be gone (ESRCH) by the time a test signals it.
   */
  daemonPids(): number[] {
    const candidates = this.strayPids().filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--bg-daemon');
      } catch {
        return false;
      }
    });
    const set = new Set(candidates);
    return candidates.filter((pid) => !set.has(parentPid(pid)));
  }

  async cleanup(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    for (const pid of this.strayPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Wire a fresh Sandbox around each test of the calling file. */
export function useSandbox(envOverrides: NodeJS.ProcessEnv = {}): () => Sandbox {
  let current: Sandbox | undefined;
  beforeEach(() => {
    current = new Sandbox(envOverrides);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useSandbox(): no sandbox outside a test');
    return current;
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Poll `check` until it returns a truthy value (or throw after `timeoutMs`). The default is
 * generous: it only matters when the condition never comes, and a loaded 2-core CI may take
 * seconds to schedule a daemon.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 25, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Point this process's HOME at a fresh temp dir for each test of the calling file (for
 * tests that call library code in-process rather than spawning the CLI).
 */
export function useTempHome(): () => string {
  let home: string | undefined;
  let previous: string | undefined;
  beforeEach(() => {
    previous = process.env.HOME;
    home = mkdtempSync(join(tmpdir(), 'confab-home-'));
    process.env.HOME = home;
  });
  afterEach(() => {
    process.env.HOME = previous;
    if (home) rmSync(home, { recursive: true, force: true });
    home = undefined;
  });
  return () => {
    if (!home) throw new Error('useTempHome(): no home outside a test');
    return home;
  };
}
