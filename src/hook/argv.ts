import { HOOK_EVENTS, type HookEvent } from '../provider/contract.js';

export interface HookInvocation {
  event: HookEvent;
  provider: string;
  /** The `--bg-daemon` launch JSON: this process is the daemon, not a hook. */
  bgDaemon?: string;
}

export class HookUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookUsageError';
  }
}

const VALUE_FLAGS = new Set(['--provider', '-p', '--bg-daemon']);

function hasPositional(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (VALUE_FLAGS.has(arg)) i++;
    else if (!arg.startsWith('-')) return true;
  }
  return false;
}

const SYNC_ALIASES: Record<string, HookEvent> = { start: 'session-start', stop: 'session-end' };

/**
 * Parse `hook <event> [--provider P] [--bg-daemon JSON]` and its Go-CLI aliases
 * `sync start|stop` without loading oclif. Returns undefined when argv is not a hook
 * invocation the fast path should take (e.g. `--help`).
 */
export function parseHookArgv(argv: readonly string[]): HookInvocation | undefined {
  const [topic, sub, ...rest] = argv;
  let event: HookEvent | undefined;
  if (topic === 'hook' && sub !== undefined && (HOOK_EVENTS as readonly string[]).includes(sub)) {
    event = sub as HookEvent;
  } else if (topic === 'sync' && sub !== undefined && sub in SYNC_ALIASES) {
    event = SYNC_ALIASES[sub];
  }
  if (event === undefined) return undefined;
  if (rest.includes('--help') || rest.includes('-h')) return undefined;
  // `sync stop <id>` is the user command that stops a daemon by id; only the bare form is the hook alias.
  if (topic === 'sync' && hasPositional(rest)) return undefined;

  let provider = 'claude-code';
  let bgDaemon: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = rest[++i];
      if (next === undefined) throw new HookUsageError(`flag ${flag} needs a value`);
      return next;
    };
    if (flag === '--provider' || flag === '-p') provider = value().trim().toLowerCase();
    else if (flag === '--bg-daemon') bgDaemon = value();
    else throw new HookUsageError(`unexpected argument "${arg}" for confab hook ${event}`);
  }
  return { event, provider, ...(bgDaemon === undefined ? {} : { bgDaemon }) };
}
