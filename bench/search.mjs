#!/usr/bin/env node
// Search and usage over the index beside the store, beside today's linear scan (the viewer's
// budgeted search with no budget), on synthetic stores of realistic Claude Code sessions
// (bench/lib/transcript.mjs: prompts, replies with code, tool calls and outputs, images).
// Figures: index build MB/s and peak RSS (in a child process), index size vs the store, query
// p50/p95 for word, phrase and prefix queries with and without filters, the linear scan's time
// for the same queries, `confab usage` time, and how long after a chunk is stored its lines are
// searchable. Needs a build (`npm run build`). Usage:
//   node bench/search.mjs [--sessions 1000,10000] [--lines 150] [--stores DIR] [--write]
// `--stores DIR` keeps each generated store in DIR/<sessions>x<lines> and reuses it on the next run
// (a 10,000-session store takes long to generate); its index is rebuilt every run. The lag
// figure adds one session to a kept store.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineLine, publish, table } from './lib/report.mjs';
import { ordinaryLines } from './lib/transcript.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const SIZES = arg('sessions', '1000').split(',').map(Number);
const LINES = Number(arg('lines', '150'));
const STORES = arg('stores', undefined);
// The linear scan reads every transcript; at 10,000 sessions one query takes many minutes. With
// `--scan-sessions N` it scans the first N sessions and scales the time to the whole store
// (reading is linear in bytes), and the table says so.
const SCAN_SESSIONS = Number(arg('scan-sessions', '0')) || Infinity;
const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { FileStore } = await import(dist('store/file-store.js'));
const { indexPathFor, SearchIndex } = await import(dist('search/index-db.js'));
const { IndexingStore } = await import(dist('search/indexing-store.js'));
const { search } = await import(dist('search/query.js'));
const { rankedSessions } = await import(dist('search/session-search.js'));
const { searchSessions } = await import(dist('serve/viewer/search.js'));
const { usageReport } = await import(dist('usage/report.js'));
const { PriceTable } = await import(dist('usage/pricing.js'));

const PROJECTS = Array.from({ length: 20 }, (_, i) => `/home/dev/projects/service-${i}`);
const RARE = (i) => `quasar${i.toString(36)}flux`;

function dirBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

async function generate(storeDir, sessions) {
  const store = await FileStore.open(storeDir, { chunkLimit: false });
  for (let i = 0; i < sessions; i++) {
    const init = await store.init('local', { provider: i % 5 === 4 ? 'codex' : 'claude-code', external_id: `bench-${i}`, transcript_path: `/gone/${i}.jsonl`, metadata: { cwd: PROJECTS[i % PROJECTS.length] } });
    const lines = ordinaryLines(1000 + i, LINES);
    // One rare word per session, so selective queries have exactly one answer.
    lines.splice(LINES >> 1, 0, JSON.stringify({ type: 'user', timestamp: '2025-10-01T10:00:00Z', message: { role: 'user', content: `please look at the ${RARE(i)} module again` } }));
    for (let at = 0; at < lines.length; at += 1000) {
      await store.appendChunk('local', { session_id: init.session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: at + 1, lines: lines.slice(at, at + 1000) });
    }
  }
  await store.close();
}

function buildInChild(storeDir) {
  const script = `
    const { indexStore } = await import(${JSON.stringify(dist('cli/search-index.js'))});
    const s = await indexStore(${JSON.stringify(storeDir)}, { fresh: true });
    const cpu = process.cpuUsage();
    console.log(JSON.stringify({ ...s, maxRssKb: process.resourceUsage().maxRSS, cpuMs: (cpu.user + cpu.system) / 1000 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => (x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`);

// CPU time beside wall time: on a shared machine the wall time of a query is mostly waiting for a core.
const cpuMs = (c0) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

function timeQueries(db, q, opts, runs) {
  const times = [];
  const cpu = [];
  let hits = 0;
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    hits = search(db, q, opts).length;
    times.push(performance.now() - t0);
    cpu.push(cpuMs(c0));
  }
  return { p50: pct(times, 50), p95: pct(times, 95), cpuP95: pct(cpu, 95), hits };
}

async function scanTime(store, sessions, q) {
  const sample = sessions.slice(0, SCAN_SESSIONS);
  const t0 = performance.now();
  const r = await searchSessions(store, sample, q, { maxBytes: Number.MAX_SAFE_INTEGER, maxMs: Number.MAX_SAFE_INTEGER });
  return { ms: ((performance.now() - t0) * sessions.length) / sample.length, hits: r.hits.size, extrapolated: sample.length < sessions.length };
}

async function lagAfterStore(storeDir) {
  const inner = await FileStore.open(storeDir, { chunkLimit: false });
  const store = new IndexingStore(inner, { path: indexPathFor(storeDir) });
  const reader = SearchIndex.open(indexPathFor(storeDir));
  const init = await store.init('local', { provider: 'claude-code', external_id: `lag-${Date.now()}`, transcript_path: '/lag.jsonl' });
  const lags = [];
  for (let i = 1; i <= 30; i++) {
    const word = `lagword${Date.now().toString(36)}x${i.toString(36)}`;
    await store.appendChunk('local', { session_id: init.session_id, file_name: 't.jsonl', file_type: 'transcript', first_line: i, lines: [JSON.stringify({ type: 'user', message: { role: 'user', content: `marker ${word}` } })] });
    const t0 = performance.now();
    while (search(reader.db, word, {}).length === 0) await new Promise((r) => setTimeout(r, 1));
    lags.push(performance.now() - t0);
  }
  reader.close();
  await store.close();
  return { p50: pct(lags, 50), p95: pct(lags, 95), max: Math.max(...lags) };
}

const sections = [];
for (const n of SIZES) {
  const root = STORES ? join(STORES, `${n}x${LINES}`) : mkdtempSync(join(tmpdir(), 'confab-bench-search-'));
  const storeDir = join(root, 'store');
  try {
    const g0 = performance.now();
    const reused = existsSync(join(root, 'complete'));
    if (!reused) {
      rmSync(root, { recursive: true, force: true });
      await generate(storeDir, n);
      if (STORES) writeFileSync(join(root, 'complete'), '');
    }
    const genS = (performance.now() - g0) / 1000;
    if (process.argv.includes('--generate-only')) continue;
    const storeBytes = dirBytes(join(storeDir, 'sessions'));
    const build = buildInChild(storeDir);
    const indexBytes = ['', '-wal'].reduce((a, s) => a + (statSync(`${indexPathFor(storeDir)}${s}`, { throwIfNoEntry: false })?.size ?? 0), 0);
    const index = SearchIndex.open(indexPathFor(storeDir));
    const store = await FileStore.open(storeDir);
    const sessions = await store.listSessions();
    const queries = [
      ['word (common)', 'retry', {}],
      ['word (rare)', RARE(n >> 1), {}],
      ['phrase', '"cache retry"', {}],
      ['prefix', 'conf*', {}],
      ['word + project + role', 'retry', { project: 'service-3', role: 'tool' }],
      ['phrase + provider + since', '"update change"', { provider: 'codex', since: Date.parse('2025-10-01T00:00:00Z') }],
      ['prefix + project', 'quasar*', { project: 'service-7' }],
    ];
    const rows = [];
    for (const [label, q, opts] of queries) {
      const t = timeQueries(index.db, q, { ...opts, limit: 20 }, 40);
      const scanQ = q.replace(/["*]/g, '');
      const scan = label.includes('+') ? undefined : await scanTime(store, sessions, scanQ);
      rows.push([label, `\`${q}\``, ms(t.p50), ms(t.p95), ms(t.cpuP95), scan ? `${ms(scan.ms)}${scan.extrapolated ? ` (×${(sessions.length / SCAN_SESSIONS).toFixed(0)} of ${SCAN_SESSIONS} sessions)` : ''}` : '—', scan ? `${Math.round(scan.ms / t.p95)}×` : '']);
    }
    // The viewer's list: every session with a match, best first, and the best hit of the first 20.
    const viewer = (() => {
      const times = [];
      const cpu = [];
      let sessionsFound = 0;
      for (let r = 0; r < 10; r++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const ranked = rankedSessions(index.db, 'retry');
        ranked.hits(ranked.sessionIds.slice(0, 20));
        times.push(performance.now() - t0);
        cpu.push(cpuMs(c0));
        sessionsFound = ranked.sessionIds.length;
      }
      return { p50: pct(times, 50), p95: pct(times, 95), cpuP95: pct(cpu, 95), sessionsFound };
    })();
    rows.push(['viewer: sessions by best hit + hits of 20', '`retry`', ms(viewer.p50), ms(viewer.p95), ms(viewer.cpuP95), `${viewer.sessionsFound} sessions`, '']);
    const u0 = performance.now();
    const uc0 = process.cpuUsage();
    for (let r = 0; r < 5; r++) usageReport(index.db, new PriceTable(), 'daily');
    const usageMs = (performance.now() - u0) / 5;
    const usageCpuMs = cpuMs(uc0) / 5;
    const sc0 = process.cpuUsage();
    const usageSessionMs = (() => {
      const t0 = performance.now();
      usageReport(index.db, new PriceTable(), 'session');
      return performance.now() - t0;
    })();
    const usageSessionCpuMs = cpuMs(sc0);
    index.close();
    await store.close();
    const lag = await lagAfterStore(storeDir);
    const mb = storeBytes / 1048576;
    sections.push(
      `#### ${n.toLocaleString('en-US')} sessions, ${mb.toFixed(0)} MB of transcript (${(mb / n).toFixed(2)} MB each, ${reused ? 'generated earlier' : `generated in ${genS.toFixed(0)} s`})\n\n` +
        table(
          ['figure', 'value', 'target'],
          [
            ['index build', `${(build.elapsedMs / 1000).toFixed(1)} s, ${(mb / (build.elapsedMs / 1000)).toFixed(1)} MB/s (CPU ${(build.cpuMs / 1000).toFixed(1)} s: ${(mb / (build.cpuMs / 1000)).toFixed(1)} MB/s of CPU time)`, '≥ 30 MB/s'],
            ['peak RSS of the build', `${(build.maxRssKb / 1024).toFixed(0)} MB`, '< 300 MB'],
            ['index size', `${(indexBytes / 1048576).toFixed(0)} MB = ${((indexBytes / storeBytes) * 100).toFixed(0)} % of the store`, '≤ 50 %'],
            ['`confab usage` daily / by session (library, index open)', `${ms(usageMs)} / ${ms(usageSessionMs)} (CPU ${ms(usageCpuMs)} / ${ms(usageSessionCpuMs)})`, '< 1 s'],
            ['stored → searchable (30 one-line chunks)', `p50 ${ms(lag.p50)}, p95 ${ms(lag.p95)}, max ${ms(lag.max)}`, '≤ 1 s'],
          ],
        ) +
        '\n\n' +
        table(['query', 'text', 'index p50', 'index p95', 'index p95 CPU', 'linear scan', 'scan / index p95'], rows),
    );
  } finally {
    if (!STORES) rmSync(root, { recursive: true, force: true });
  }
}

publish(
  'search',
  `### Search index (\`bench/search.mjs\`)

${machineLine()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} at the end (1 / 5 / 15 min), SQLite via ${process.getBuiltinModule?.('node:sqlite') ? 'node:sqlite' : 'better-sqlite3'}. Synthetic stores of Claude Code-shaped sessions (${LINES} lines each, one in five filed as Codex, 20 projects); queries take the first 20 hits, 40 runs each; the linear scan is the viewer's scanning search with no budget (what the viewer did before the index), one run. The build runs in its own process for its peak RSS.

${sections.join('\n\n')}`,
);
