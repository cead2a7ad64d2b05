import { open } from 'node:fs/promises';
import { CommandError } from './command-error.js';
import type { LocalSession, Provider } from '../provider/contract.js';

/** A session on this machine and the provider that found it. */
export interface FoundSession {
  provider: Provider;
  session: LocalSession;
}

export interface ScanOptions {
  /** Only sessions active within this many ms of `now`. */
  sinceMs?: number;
  now?: number;
  onWarning?(message: string): void;
}

/** Every session the providers find on disk, newest activity first. */
export async function scanSessions(providers: readonly Provider[], opts: ScanOptions = {}): Promise<FoundSession[]> {
  const now = opts.now ?? Date.now();
  const found: FoundSession[] = [];
  for (const provider of providers) {
    if (!provider.sessions) continue;
    let sessions: LocalSession[];
    try {
      sessions = await provider.sessions.scan(opts.onWarning ? { onWarning: opts.onWarning } : {});
    } catch (err) {
      opts.onWarning?.(`${provider.name}: cannot list sessions: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    for (const session of sessions) {
      if (opts.sinceMs !== undefined && now - session.lastActivity.getTime() > opts.sinceMs) continue;
      found.push({ provider, session });
    }
  }
  return found.sort(
    (a, b) => b.session.lastActivity.getTime() - a.session.lastActivity.getTime() || a.session.externalId.localeCompare(b.session.externalId),
  );
}

/** The sessions `id` names: an exact id, else a unique prefix. Throws a one-line error otherwise. */
export function findSession(sessions: readonly FoundSession[], id: string): FoundSession {
  const wanted = id.trim();
  if (!wanted) throw new CommandError('a session id is required');
  const exact = sessions.filter((s) => s.session.externalId === wanted);
  if (exact.length === 1) return exact[0] as FoundSession;
  const matches = exact.length > 1 ? exact : sessions.filter((s) => s.session.externalId.startsWith(wanted));
  if (matches.length === 0) throw new CommandError(`no local session matches "${wanted}" (see confab list)`);
  if (matches.length > 1) {
    const where = [...new Set(matches.map((m) => m.provider.name))];
    throw new CommandError(
      `"${wanted}" is ambiguous: it matches ${matches.length} sessions${where.length > 1 ? ` (${where.join(', ')}; use --provider)` : ''}; give more of the id`,
    );
  }
  return matches[0] as FoundSession;
}

/** Complete (`\n`-terminated) lines in a file: what the sync engine would upload. 0 if it is missing. */
export async function countLines(path: string): Promise<number> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let lines = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return lines;
      let at = buf.indexOf(10, 0);
      while (at !== -1 && at < bytesRead) {
        lines++;
        at = buf.indexOf(10, at + 1);
      }
    }
  } finally {
    await fh.close();
  }
}
