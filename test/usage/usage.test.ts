import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLocalBackend, type LocalBackend } from '../../src/backend/local.js';
import type { FileType } from '../../src/format/wire.js';
import { indexPathFor, SearchIndex } from '../../src/search/index-db.js';
import type { IndexingStore } from '../../src/search/indexing-store.js';
import { parsePricingConfig, PriceTable, priceKey } from '../../src/usage/pricing.js';
import { usageReport, type UsageGroup } from '../../src/usage/report.js';
import { REPO_ROOT, useSandbox } from '../helpers/sandbox.js';

const CC = join(REPO_ROOT, 'test/fixtures/claude-code-real/2.1.332/project-dir');
const CC_MAIN = join(CC, '958a0291-14d6-41d4-abad-e3757ff1ad70.jsonl');
const CC_AGENT = join(CC, '958a0291-14d6-41d4-abad-e3757ff1ad70/subagents/agent-aa8934ac9a2623aee.jsonl');
const read = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => l !== '');

async function seedClaude(backend: LocalBackend): Promise<string> {
  // The transcript path no longer exists: the agent deleted it; the store's copy is what counts.
  const s = await backend.init({ provider: 'claude-code', external_id: '958a0291', transcript_path: '/deleted/958a0291.jsonl', metadata: { cwd: '/w/shop' } });
  const put = (name: string, type: FileType, lines: string[]) => backend.chunk({ session_id: s.session_id, file_name: name, file_type: type, first_line: 1, lines });
  await put('main.jsonl', 'transcript', read(CC_MAIN));
  await put('subagents/agent.jsonl', 'agent', read(CC_AGENT));
  return s.session_id;
}

const assistant = (id: string, model: string, usage: Record<string, number>, ts: string) =>
  JSON.stringify({ type: 'assistant', timestamp: ts, requestId: `req_${id}`, message: { id, role: 'assistant', model, content: [{ type: 'text', text: 'ok' }], usage } });

describe('usage from the index', () => {
  let dir: string;
  let storeDir: string;
  let backend: LocalBackend;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'confab-usage-'));
    storeDir = join(dir, 'store');
    backend = await openLocalBackend(storeDir);
  });
  afterEach(async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const report = async (group: UsageGroup, prices = new PriceTable(), since?: number) => {
    await (backend as unknown as { store: IndexingStore }).store.flush();
    const index = SearchIndex.open(indexPathFor(storeDir));
    try {
      return usageReport(index.db, prices, group, since === undefined ? {} : { since });
    } finally {
      index.close();
    }
  };

  it('equals the hand-computed sum of the recorded Claude Code session, streamed responses counted once', async () => {
    const id = await seedClaude(backend);
    // By hand from the transcript: main msg_fake_0001 (written on 2 lines: 25 in / 48 out, once),
    // 0002 (25/61), 0005 (25/22), 0006 (25/16), 0007 (25/16); sub-agent 0003 (25/37), 0004 (25/20).
    const expected = { responses: 7, input: 7 * 25, output: 48 + 61 + 22 + 16 + 16 + 37 + 20, cache_creation: 0, cache_read: 0 };
    const bySession = await report('session');
    expect(bySession.rows).toHaveLength(1);
    expect(bySession.rows[0]).toMatchObject({ key: id, ...expected, cost: null, unpriced_responses: 7, models: ['claude-opus-5-5'] });
    expect(bySession.total).toMatchObject(expected);
    expect((await report('daily')).rows.map((r) => [r.key, r.output])).toEqual([['2026-11-25', expected.output]]);
    expect((await report('weekly')).rows.map((r) => r.key)).toEqual(['2026-11-23']);
    expect((await report('monthly')).rows.map((r) => r.key)).toEqual(['2026-11']);
    expect((await report('project')).rows.map((r) => r.key)).toEqual(['shop']);
    // With a price for the model (as a config override gives), the cost is the hand-computed one.
    const priced = await report('model', new PriceTable(parsePricingConfig({ 'claude-opus-5-5': { input: 5, output: 25 } })));
    expect(priced.rows[0]!.key).toBe('claude-opus-5-5');
    expect(priced.rows[0]!.cost).toBeCloseTo((175 * 5 + 220 * 25) / 1e6, 12);
    expect(priced.total.unpriced_responses).toBe(0);
    // A rebuilt index counts the same.
    await SearchIndex.remove(indexPathFor(storeDir));
    const { indexStore } = await import('../../src/cli/search-index.js');
    await indexStore(storeDir, { fresh: true });
    expect((await report('session')).total).toEqual(bySession.total);
  });

  it('prices cache writes and reads, keeps the largest figures of a streamed response, and filters by time', async () => {
    const s = await backend.init({ provider: 'claude-code', external_id: 'priced', transcript_path: '/p.jsonl' });
    const model = 'claude-sonnet-4-5-20250929';
    await backend.chunk({
      session_id: s.session_id,
      file_name: 'p.jsonl',
      file_type: 'transcript',
      first_line: 1,
      lines: [
        assistant('msg_a', model, { input_tokens: 100, output_tokens: 1, cache_creation_input_tokens: 1000, cache_read_input_tokens: 2000 }, '2026-10-01T10:00:00Z'),
        assistant('msg_a', model, { input_tokens: 100, output_tokens: 50, cache_creation_input_tokens: 1000, cache_read_input_tokens: 2000 }, '2026-10-01T10:00:01Z'),
        assistant('msg_a', model, { input_tokens: 100, output_tokens: 50, cache_creation_input_tokens: 1000, cache_read_input_tokens: 2000 }, '2026-10-01T10:00:02Z'),
        assistant('msg_b', model, { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 500 }, '2026-10-03T10:00:00Z'),
      ],
    });
    const r = await report('model');
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ key: model, responses: 2, input: 110, output: 55, cache_creation: 1000, cache_read: 2500, unpriced_responses: 0 });
    // sonnet 4.5: $3 in, $15 out, $3.75 cache write, $0.30 cache read per million.
    expect(r.rows[0]!.cost).toBeCloseTo((110 * 3 + 55 * 15 + 1000 * 3.75 + 2500 * 0.3) / 1e6, 12);
    const late = await report('daily', new PriceTable(), Date.parse('2026-10-02T00:00:00Z'));
    expect(late.rows.map((x) => [x.key, x.responses, x.input])).toEqual([['2026-10-03', 1, 10]]);
    // A bound inside a day: that day's responses count by their own time (msg_a's first line is at 10:00:00).
    const sameDay = await report('daily', new PriceTable(), Date.parse('2026-10-01T10:00:00.500Z'));
    expect(sameDay.rows.map((x) => [x.key, x.responses, x.input])).toEqual([['2026-10-03', 1, 10]]);
    const earlier = await report('daily', new PriceTable(), Date.parse('2026-10-01T09:59:59Z'));
    expect(earlier.rows.map((x) => [x.key, x.responses, x.input])).toEqual([['2026-10-01', 1, 100], ['2026-10-03', 1, 10]]);
  });

  it('maps model ids to the price table and refuses bad pricing config', () => {
    expect(priceKey('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(priceKey('anthropic/claude-opus-4-1')).toBe('claude-opus-4-1');
    expect(new PriceTable().priceOf('claude-opus-4-6')).toBeUndefined();
    expect(new PriceTable().cost('gpt-5-codex', { input: 1_000_000, output: 0, cacheCreation: 0, cacheRead: 1_000_000 })).toBeCloseTo(1.375, 10);
    expect(() => parsePricingConfig({ m: { input: -1, output: 1 } })).toThrow('pricing.m.input must be a non-negative number (USD per million tokens)');
    expect(() => parsePricingConfig([1])).toThrow('pricing in the config must be an object');
  });
});

describe('confab usage', () => {
  const sandbox = useSandbox();
  it('prints a table and --json, with config prices; a bad pricing config is one line', async () => {
    const sb = sandbox();
    const storeDir = join(sb.confabDir, 'store');
    const backend = await openLocalBackend(storeDir);
    await seedClaude(backend);
    await backend.close();
    const env = { CONFAB_STORE_DIR: storeDir };
    const table = await sb.run(['usage', 'model'], { env });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^claude-opus-5-5\s+175\s+220\s+0\s+0\s+no price/m);
    writeFileSync(join(sb.confabDir, 'config.json'), JSON.stringify({ backend_url: '', api_key: '', pricing: { 'claude-opus-5-5': { input: 5, output: 25 } } }));
    const json = JSON.parse((await sb.run(['usage', 'daily', '--json'], { env })).stdout) as { rows: { key: string; cost: number }[]; total: { cost: number } };
    expect(json.rows.map((r) => r.key)).toEqual(['2026-11-25']);
    expect(json.total.cost).toBeCloseTo(0.006375, 12);
    writeFileSync(join(sb.confabDir, 'config.json'), JSON.stringify({ backend_url: '', api_key: '', pricing: { x: 'cheap' } }));
    const bad = await sb.run(['usage'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error: pricing.x must be an object with input and output prices\n');
  });
});
