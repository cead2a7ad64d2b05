/**
 * What the commands do, as library code tests call without oclif (`setup.ts`, `status.ts`,
 * `login.ts`, `save.ts`…), and the shared pieces of their output (this module). A failure a
 * command reports as-is is a `CommandError` (`command-error.ts`).
 */
import { CommandError } from './command-error.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * `--since` / `-d` values as the Go CLI takes them: a whole number and a unit (`30m`,
 * `12h`, `5d`; also `45s` and `2w`). Anything else is one clear error.
 */
export function parseDuration(text: string, flag = '--since'): number {
  const m = /^\s*(\d{1,9})\s*([smhdw])\s*$/i.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0)) throw new CommandError(`invalid ${flag} "${text}": use a number and a unit, e.g. 30m, 12h or 5d`);
  return n * (UNIT_MS[(m[2] as string).toLowerCase()] as number);
}

/** `Ns ago`, `Nm ago`, `Nh ago`, `Nd ago` (the Go CLI's list column). */
export function formatAgo(when: Date, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - when.getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** 1023 B, 1.5 KB, 12 MB, 3.1 GB (powers of 1024, one decimal below 10). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Cut to `max` characters with `...`, on one line (titles can hold newlines). */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 3))}...` : flat;
}

/** One line of an error, for a table cell or a summary. */
export function errorLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}
