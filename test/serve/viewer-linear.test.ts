import { describe, expect, it } from 'vitest';
import { MARKDOWN_CASES, TEXT_CASES, type TextMaker } from '../../bench/lib/adversarial-text.mjs';
import { renderMarkdown } from '../../src/serve/viewer/markdown.js';
import { searchSessions } from '../../src/serve/viewer/search.js';
import { projectName, sessionTitle } from '../../src/serve/viewer/session-summary.js';
import { renderLines } from '../../src/serve/viewer/transcript-render.js';
import { splitLines, type TranscriptLine } from '../../src/serve/viewer/transcript-lines.js';
import type { StoredSession } from '../../src/store/session-store.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { assistantLine, userLine } from './viewer-helpers.js';

/**
 * Every renderer the viewer runs on transcript text must take linear time: a quadratic one
 * blocks the server for seconds on a single crafted 64 KiB message. Not a wall-clock
 * assertion: each renderer is timed on a text of size n and on one of size 16n (about
 * 64 KiB) in the same process, in CPU time (what other processes on the machine do hardly
 * changes it), best of a few rounds. The ratio must stay far below the 256 a quadratic
 * renderer shows; linear is 16, and the slack covers caches and the garbage collector, which
 * make big texts somewhat slower per character. The absolute cap only catches a renderer so
 * slow that the ratio could not be measured. bench/viewer-render.mjs times the same inputs.
 */

const N = 4000;
const GROWTH = 16;
const MAX_RATIO = 80;
const CAP_MS = 3000;
const ROUNDS = 5;

/** CPU milliseconds of this process: unlike wall time, it does not grow when other processes load the machine. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Per-call CPU milliseconds: the best of a few rounds, each repeating the call for at least 30 ms. */
async function perCallMs(fn: () => unknown): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const start = cpuMs();
    let elapsed: number;
    do {
      await fn();
      calls++;
      elapsed = cpuMs() - start;
    } while (elapsed < 30);
    best = Math.min(best, elapsed / calls);
    if (elapsed > CAP_MS) break;
  }
  return best;
}

interface Growth {
  name: string;
  small: number;
  large: number;
  ratio: number;
}

async function growth<T = string>(name: string, make: TextMaker, render: (input: T) => unknown, prepare: (text: string) => T = (t) => t as T): Promise<Growth> {
  const small = prepare(make(N));
  const large = prepare(make(GROWTH * N));
  await render(small); // warm up the JIT on this shape
  const a = await perCallMs(() => render(small));
  const b = await perCallMs(() => render(large));
  return { name, small: a, large: b, ratio: b / a };
}

/** One at a time, so no measurement overlaps another. */
async function growths(cases: [string, TextMaker][], measure: (name: string, make: TextMaker) => Promise<Growth>): Promise<Growth[]> {
  const out: Growth[] = [];
  for (const [name, make] of cases) out.push(await measure(name, make));
  return out;
}

function superLinear(results: Growth[]): string[] {
  return results.filter((r) => r.ratio > MAX_RATIO || r.large > CAP_MS).map((r) => `${r.name}: ${r.small.toFixed(2)} ms → ${r.large.toFixed(2)} ms (×${r.ratio.toFixed(1)})`);
}

const transcript = (lines: string[]) => splitLines(Buffer.from(`${lines.join('\n')}\n`), 1);
const CTX = { sessionId: 's', fileName: 'main.jsonl', files: [] };

// Generous: before the fix, a single 64 KiB render took seconds.
describe('viewer renderers take linear time on adversarial text', { timeout: 300_000 }, () => {
  it('renders Markdown in linear time', async () => {
    const results = await growths(Object.entries(MARKDOWN_CASES), (name, make) => growth(name, make, renderMarkdown));
    expect(superLinear(results)).toEqual([]);
  });

  it('renders transcript lines (messages, tool calls, results, raw rows) in linear time', async () => {
    const cases: Record<string, TextMaker> = { ...TEXT_CASES, ...MARKDOWN_CASES };
    const results = await growths(Object.entries(cases), (name, make) =>
      growth(
        name,
        make,
        (lines: TranscriptLine[]) => renderLines(lines, CTX),
        (t) =>
          transcript([
            assistantLine('m1', [
              { type: 'text', text: t },
              { type: 'thinking', thinking: t },
              { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: t } },
            ]),
            userLine([{ type: 'tool_result', tool_use_id: 'toolu_1', content: t }]),
            userLine(t),
            JSON.stringify({ type: 'system', content: t }),
          ]),
      ),
    );
    expect(superLinear(results)).toEqual([]);
  });

  it('derives titles and project names in linear time', async () => {
    const session = (t: string) => ({ cwd: t, transcript_path: t, summary: undefined, first_user_message: t }) as unknown as StoredSession;
    const results = [
      ...(await growths(Object.entries(TEXT_CASES), (name, make) => growth(`project of ${name}`, make, (t) => projectName(session(t))))),
      ...(await growths(Object.entries(TEXT_CASES), (name, make) => growth(`title of ${name}`, make, (t) => sessionTitle(session(t))))),
    ];
    expect(superLinear(results)).toEqual([]);
  });

  it('scans a transcript for a search in linear time, however often the query occurs in a line', async () => {
    // The query all along one line, outside the text a person reads (so the scan goes on).
    const make = (n: number) => JSON.stringify({ type: 'user', cwd: 'needle '.padEnd(32, '.').repeat(Math.floor(n / 32)), message: { content: 'hello' } });
    const store = new MemoryStore();
    const session = async (n: number) => (await store.getSession(await store.seed('alice', { files: { 'main.jsonl': { lines: [make(n)] } } })))!;
    const [small, large] = [await session(N), await session(GROWTH * N)];
    const search = async (s: StoredSession) => {
      const res = await searchSessions(store, [s], 'needle');
      expect(res.hits.size).toBe(0);
    };
    await search(small);
    const a = await perCallMs(() => search(small));
    const b = await perCallMs(() => search(large));
    expect(superLinear([{ name: 'search scan', small: a, large: b, ratio: b / a }])).toEqual([]);
  });
});
