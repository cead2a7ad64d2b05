import type { SqliteDatabase, SqlValue } from '../sqlite/database.js';
import type { PriceTable } from './pricing.js';

export const USAGE_GROUPS = ['daily', 'weekly', 'monthly', 'session', 'project', 'model'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageTotals {
  responses: number;
  input: number;
  output: number;
  cache_creation: number;
  cache_read: number;
  /** USD of the priced tokens; null when none of the tokens has a price. */
  cost: number | null;
  /** Tokens of models with no price (not in `cost`). */
  unpriced_responses: number;
}

export interface UsageRow extends UsageTotals {
  /** The day (YYYY-MM-DD, UTC), the week's Monday, the month (YYYY-MM), the session id, the project or the model. */
  key: string;
  /** For sessions: the session's title and project. */
  label?: string;
  models: string[];
}

export interface UsageReport {
  group: UsageGroup;
  since?: string;
  rows: UsageRow[];
  total: UsageTotals;
}

/** A period's key from `t`, the usage rows' time (ms). */
const KEY_SQL: Record<UsageGroup, string> = {
  daily: "strftime('%Y-%m-%d', u.t / 1000, 'unixepoch')",
  weekly: "date(u.t / 1000, 'unixepoch', 'weekday 0', '-6 days')",
  monthly: "strftime('%Y-%m', u.t / 1000, 'unixepoch')",
  session: 's.session_id',
  project: "COALESCE(s.project, '(no project)')",
  model: "COALESCE(u.model, '(unknown model)')",
};
const DAY_MS = 86_400_000;

const empty = (): UsageTotals => ({ responses: 0, input: 0, output: 0, cache_creation: 0, cache_read: 0, cost: null, unpriced_responses: 0 });

function add(into: UsageTotals, r: { responses: number; input: number; output: number; cache_creation: number; cache_read: number }, cost: number | undefined): void {
  into.responses += r.responses;
  into.input += r.input;
  into.output += r.output;
  into.cache_creation += r.cache_creation;
  into.cache_read += r.cache_read;
  if (cost === undefined) into.unpriced_responses += r.responses;
  else into.cost = (into.cost ?? 0) + cost;
}

/**
 * Tokens and cost grouped by period, session, project or model. Each API response counts once
 * (the index keeps one row per response however many lines streamed it). Periods are UTC.
 */
export function usageReport(db: SqliteDatabase, prices: PriceTable, group: UsageGroup, opts: { since?: number; owner?: string } = {}): UsageReport {
  // The index keeps usage summed per session, UTC day and model (usage_days): a report reads those
  // few rows. A response with no time of its own counts at its session's last activity (day -1).
  // `since` falls inside a day: that day's responses are read one by one, later days summed.
  const params: SqlValue[] = [];
  const owner = opts.owner === undefined ? '' : ' AND s.owner = ?';
  let days = `SELECT d.sid, CASE WHEN d.day < 0 THEN s.last_activity ELSE d.day END AS t, NULLIF(d.model, '') AS model, d.responses,
                     d.input, d.output, d.cache_creation, d.cache_read, CASE WHEN d.day < 0 THEN s.last_activity ELSE d.last_time END AS last
                FROM usage_days d JOIN sessions s ON s.id = d.sid WHERE d.responses > 0${owner}`;
  if (opts.owner !== undefined) params.push(opts.owner);
  if (opts.since !== undefined) {
    const nextDay = Math.floor(opts.since / DAY_MS) * DAY_MS + DAY_MS;
    days += ' AND (d.day >= ? OR (d.day < 0 AND s.last_activity >= ?))';
    params.push(nextDay, opts.since);
    days += ` UNION ALL
              SELECT u.sid, u.time, u.model, 1, u.input, u.output, u.cache_creation, u.cache_read, u.time
                FROM usage u JOIN sessions s ON s.id = u.sid WHERE u.time >= ? AND u.time < ?${owner}`;
    params.push(opts.since, nextDay);
    if (opts.owner !== undefined) params.push(opts.owner);
  }
  const rows = db.all(
    `SELECT ${KEY_SQL[group]} AS k, u.model AS model, sum(u.responses) AS responses, sum(u.input) AS input, sum(u.output) AS output,
            sum(u.cache_creation) AS cache_creation, sum(u.cache_read) AS cache_read,
            max(s.title) AS title, max(s.project) AS project, max(u.last) AS last
       FROM (${days}) u JOIN sessions s ON s.id = u.sid
      GROUP BY k, u.model`,
    ...params,
  );
  const byKey = new Map<string, UsageRow & { last: number }>();
  const total = empty();
  for (const r of rows) {
    const key = String(r.k);
    const model = r.model == null ? undefined : String(r.model);
    const t = { responses: Number(r.responses), input: Number(r.input), output: Number(r.output), cache_creation: Number(r.cache_creation), cache_read: Number(r.cache_read) };
    const cost = prices.cost(model, { input: t.input, output: t.output, cacheCreation: t.cache_creation, cacheRead: t.cache_read });
    let row = byKey.get(key);
    if (!row) {
      row = { key, ...empty(), models: [], last: 0 };
      if (group === 'session') row.label = [r.title, r.project].filter((x) => x != null).map(String).join(' · ');
      byKey.set(key, row);
    }
    add(row, t, cost);
    row.last = Math.max(row.last, Number(r.last ?? 0));
    if (model && !row.models.includes(model)) row.models.push(model);
    add(total, t, cost);
  }
  const out = [...byKey.values()];
  if (group === 'daily' || group === 'weekly' || group === 'monthly') out.sort((a, b) => a.key.localeCompare(b.key));
  else if (group === 'session') out.sort((a, b) => b.last - a.last);
  else out.sort((a, b) => (b.cost ?? 0) - (a.cost ?? 0) || b.output + b.input - (a.output + a.input));
  const report: UsageReport = { group, rows: out.map(({ last: _last, ...r }) => ({ ...r, models: r.models.sort() })), total };
  if (opts.since !== undefined) report.since = new Date(opts.since).toISOString();
  return report;
}
