import { formatRfc3339 } from 'confab-cli/provider';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { readSessionMeta } from './rollout-files.js';
import { dayOfRolloutName, threadIdOfRolloutName, type SessionMeta } from './rollout.js';

/**
 * Codex's thread tree, derived from the rollout files themselves.
 *
 * Codex also records parent → child edges in its SQLite state DB, but reading SQLite from
 * Node 20 needs a native module. Every sub-agent rollout names its parent in its own first
 * line instead (`session_meta.parent_thread_id`, and inside
 * `source.subagent.thread_spawn`), and that line is written before the sub-agent does
 * anything — so the tree is rebuilt from the rollouts: each rollout's session_meta is
 * read once and remembered, and only day directories that can hold the tree are listed.
 */

export interface RolloutRecord {
  path: string;
  /** The thread UUID (from the file name, which Codex sets to the thread id). */
  threadId: string;
  meta: SessionMeta;
}

interface DayDir {
  /** `YYYY-MM-DD`. */
  key: string;
  dir: string;
}

/** How deep a sub-agent tree may go (Codex limits spawn depth far below this). */
export const MAX_TREE_DEPTH = 16;
const READ_CONCURRENCY = 8;

function dayBefore(key: string): string {
  const d = new Date(`${key}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return formatRfc3339(d.getTime()).slice(0, 10);
}

function dayAfter(key: string): string {
  const d = new Date(`${key}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return formatRfc3339(d.getTime()).slice(0, 10);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class RolloutCatalog {
  /** session_meta per rollout path; `null` for files that will never have one. */
  private readonly metas = new Map<string, SessionMeta | null>();

  constructor(readonly sessionsDir: string) {}

  /** The day a rollout belongs to: its `YYYY/MM/DD` directory, else the date in its name. */
  dayOf(path: string): string | undefined {
    const rel = relative(this.sessionsDir, dirname(path));
    const parts = rel.split(sep);
    if (parts.length === 3 && /^\d{4}$/.test(parts[0] ?? '') && /^\d{2}$/.test(parts[1] ?? '') && /^\d{2}$/.test(parts[2] ?? '')) {
      return parts.join('-');
    }
    return dayOfRolloutName(basename(path));
  }

  /** Every `YYYY/MM/DD` directory, oldest first. */
  async dayDirs(): Promise<DayDir[]> {
    const days: DayDir[] = [];
    for (const y of (await listDir(this.sessionsDir)).filter((n) => /^\d{4}$/.test(n)).sort()) {
      const yDir = join(this.sessionsDir, y);
      for (const m of (await listDir(yDir)).filter((n) => /^\d{2}$/.test(n)).sort()) {
        const mDir = join(yDir, m);
        for (const d of (await listDir(mDir)).filter((n) => /^\d{2}$/.test(n)).sort()) {
          days.push({ key: `${y}-${m}-${d}`, dir: join(mDir, d) });
        }
      }
    }
    return days;
  }

  /** Every rollout file under the sessions directory, oldest day first. */
  async allRollouts(): Promise<string[]> {
    return (await Promise.all((await this.dayDirs()).map((d) => this.rolloutsIn(d)))).flat();
  }

  private async rolloutsIn(day: DayDir): Promise<string[]> {
    return (await listDir(day.dir)).filter((n) => threadIdOfRolloutName(n) !== undefined).sort().map((n) => join(day.dir, n));
  }

  /** The rollout at `path` with its session_meta, or undefined when it has none (yet). */
  async record(path: string): Promise<RolloutRecord | undefined> {
    const threadId = threadIdOfRolloutName(basename(path));
    if (!threadId) return undefined;
    let meta = this.metas.get(path);
    if (meta === undefined) {
      let res;
      try {
        res = await readSessionMeta(path);
      } catch {
        return undefined; // unreadable now; try again next time
      }
      if (res.status === 'ok') meta = res.meta;
      else if (res.status === 'none') meta = null;
      else return undefined; // missing or still being created: not remembered
      this.metas.set(path, meta);
    }
    return meta ? { path, threadId, meta } : undefined;
  }

  /**
   * Every rollout below the thread `rootId`, at any depth, parents before children. Only
   * days from `sinceDay` on are listed (a sub-agent is never older than its root; one day
   * of slack covers a clock or time-zone change).
   */
  async descendantsOf(rootId: string, sinceDay?: string): Promise<RolloutRecord[]> {
    const from = sinceDay ? dayBefore(sinceDay) : undefined;
    const days = (await this.dayDirs()).filter((d) => from === undefined || d.key >= from);
    const paths = (await Promise.all(days.map((d) => this.rolloutsIn(d)))).flat();
    const records = (await mapLimit(paths, READ_CONCURRENCY, (p) => this.record(p))).filter((r): r is RolloutRecord => r !== undefined);

    const children = new Map<string, RolloutRecord[]>();
    for (const r of records) {
      const parent = r.meta.parentThreadId?.toLowerCase();
      if (!parent) continue;
      const list = children.get(parent) ?? [];
      list.push(r);
      children.set(parent, list);
    }
    const out: RolloutRecord[] = [];
    const seen = new Set<string>([rootId.toLowerCase()]);
    let level = [rootId.toLowerCase()];
    for (let depth = 0; depth < MAX_TREE_DEPTH && level.length > 0; depth++) {
      const nextLevel: string[] = [];
      for (const parent of level) {
        for (const child of children.get(parent) ?? []) {
          const id = child.threadId.toLowerCase();
          if (seen.has(id)) continue;
          seen.add(id);
          out.push(child);
          nextLevel.push(id);
        }
      }
      level = nextLevel;
    }
    return out;
  }

  /**
   * The rollout of thread `id`, looking from `notAfterDay` backwards (a parent is never
   * younger than its child; one day of slack again).
   */
  async findThread(id: string, notAfterDay?: string): Promise<RolloutRecord | undefined> {
    const until = notAfterDay ? dayAfter(notAfterDay) : undefined;
    const suffix = `-${id.toLowerCase()}.jsonl`;
    const days = (await this.dayDirs()).filter((d) => until === undefined || d.key <= until).reverse();
    for (const day of days) {
      for (const path of await this.rolloutsIn(day)) {
        if (!basename(path).toLowerCase().endsWith(suffix)) continue;
        const rec = await this.record(path);
        if (rec) return rec;
      }
    }
    return undefined;
  }
}

/**
 * Follow parent links from `start` up to the thread a person started. Stops at the last
 * ancestor whose rollout is on disk, at a cycle, or at `MAX_TREE_DEPTH`.
 */
export async function walkUpToRoot(catalog: RolloutCatalog, start: RolloutRecord): Promise<RolloutRecord> {
  let current = start;
  const seen = new Set<string>([start.threadId.toLowerCase()]);
  for (let depth = 0; depth < MAX_TREE_DEPTH; depth++) {
    const parentId = current.meta.parentThreadId;
    if (!parentId || seen.has(parentId.toLowerCase())) break;
    seen.add(parentId.toLowerCase());
    const parent = await catalog.findThread(parentId, catalog.dayOf(current.path));
    if (!parent) break;
    current = parent;
  }
  return current;
}
