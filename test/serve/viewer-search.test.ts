import { afterEach, describe, expect, it } from 'vitest';
import { searchableText, searchSessions } from '../../src/serve/viewer/search.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { ALICE_KEY, assistantLine, FIXTURE_SESSION, HOST, login, seedFixtureSession, userLine, viewerApp, type ViewerApp } from './viewer-helpers.js';

const MAIN = `${FIXTURE_SESSION}.jsonl`;

async function corpus() {
  const store = new MemoryStore();
  const fixture = await seedFixtureSession(store, 'alice');
  const fox = await store.seed('alice', {
    summary: 'Animal facts',
    files: {
      'fox.jsonl': {
        lines: [
          userLine('tell me about animals'),
          assistantLine('m1', [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'cat animals.txt' } }]),
          userLine([{ type: 'tool_result', tool_use_id: 't1', content: 'The quick brown fox jumps over the lazy dog' }]),
          assistantLine('m2', [{ type: 'text', text: 'She said "hello there" to the fox.' }]),
        ],
      },
    },
  });
  const unicode = await store.seed('alice', {
    summary: 'Travel notes',
    files: {
      'u.jsonl': {
        lines: [
          JSON.stringify({ type: 'attachment', attachment: { type: 'x', content: 'İİİİ İstanbul padding that lower-cases longer' } }),
          userLine('Grüße aus Köln, and a hidden-gem remark'),
        ],
      },
    },
  });
  const agentOnly = await store.seed('alice', {
    summary: 'Delegation',
    files: {
      'main.jsonl': { lines: [userLine('delegate it')] },
      'agent-a1.jsonl': { type: 'agent', lines: [assistantLine('s1', [{ type: 'thinking', thinking: 'pondering the zeppelin question' }])] },
    },
  });
  return { store, fixture, fox, unicode, agentOnly };
}

describe('session search', () => {
  it('matches titles and first messages without reading transcripts', async () => {
    const { store, fixture, fox } = await corpus();
    const sessions = await store.listSessions('alice');
    store.reads.length = 0;
    const byTitle = await searchSessions(store, sessions, 'animal facts');
    expect([...byTitle.hits.keys()]).toEqual([fox]);
    expect(byTitle.hits.get(fox)?.where).toBe('title');
    const byFirstMessage = await searchSessions(store, sessions, 'delegate one task');
    expect(byFirstMessage.hits.get(fixture)?.where).toBe('title');
  });

  it('finds what was said: message text, thinking, tool inputs and results, sub-agent files', async () => {
    const { store, fixture, fox, unicode, agentOnly } = await corpus();
    const sessions = await store.listSessions('alice');
    const cases: [string, string, string, number][] = [
      ['from-subagent', fixture, MAIN, 37],
      ['hello again from the resumed', fixture, MAIN, 61],
      ['QUICK BROWN FOX', fox, 'fox.jsonl', 3],
      ['cat animals.txt', fox, 'fox.jsonl', 2],
      ['said "hello there"', fox, 'fox.jsonl', 4],
      ['grüße aus köln', unicode, 'u.jsonl', 2],
      ['hidden-gem', unicode, 'u.jsonl', 2],
      ['zeppelin', agentOnly, 'agent-a1.jsonl', 1],
    ];
    for (const [q, id, file, line] of cases) {
      const r = await searchSessions(store, sessions, q);
      expect([...r.hits.keys()], q).toEqual([id]);
      const hit = r.hits.get(id);
      expect(hit, q).toMatchObject({ where: 'content', fileName: file, line });
      const s = hit?.snippet;
      expect(s?.text.slice(s.matchStart, s.matchEnd).toLowerCase(), q).toBe(q.toLowerCase());
      expect(r.exhausted).toBe(false);
    }
  });

  it('does not match the system prompts, tool schemas and hook output every transcript carries', async () => {
    const { store } = await corpus();
    const sessions = await store.listSessions('alice');
    // All of these are in the fixture's raw lines (skill listing, prompt snapshot, hook records, requests).
    for (const q of ['dataviz', 'You are an agent working with the user', 'hook-recorder.mjs', 'interleaved-thinking', 'queue-operation']) {
      const r = await searchSessions(store, sessions, q);
      expect(r.hits.size, q).toBe(0);
    }
  });

  it('stops at its byte budget, says how far it got, and goes on from there', async () => {
    const { store, fixture } = await corpus();
    const sessions = await store.listSessions('alice');
    const order = sessions.map((s) => s.session_id);
    expect(order[0]).toBe(fixture); // most recent activity first
    const first = await searchSessions(store, sessions, 'zeppelin', { maxBytes: 1, maxMs: 60_000 });
    expect(first).toMatchObject({ exhausted: true, scanFrom: 0, scannedTo: 1, total: sessions.length });
    expect(first.hits.size).toBe(0);
    expect(first.bytesRead).toBeGreaterThan(0);
    let from = first.scannedTo;
    let found: string | undefined;
    for (let rounds = 0; rounds < sessions.length && !found; rounds++) {
      const next = await searchSessions(store, sessions, 'zeppelin', { maxBytes: 1, maxMs: 60_000 }, from);
      expect(next.scanFrom).toBe(from);
      found = [...next.hits.keys()][0];
      from = next.scannedTo;
    }
    expect(found).toBe(order[order.length - 1]);
  });

  it('stops at its time budget', async () => {
    const { store } = await corpus();
    const sessions = await store.listSessions('alice');
    let t = 0;
    const r = await searchSessions(store, sessions, 'zeppelin', { maxBytes: 1e12, maxMs: 1500 }, 0, () => (t += 1000));
    expect(r.exhausted).toBe(true);
    expect(r.scannedTo).toBeLessThan(sessions.length);
  });

  it('skips files it cannot read', async () => {
    const { store, fox } = await corpus();
    const sessions = await store.listSessions('alice');
    const flaky = {
      readFile: async (id: string, name: string, after?: number) => {
        if (id !== fox) throw new Error('disk on fire');
        return store.readFile(id, name, after);
      },
    };
    const r = await searchSessions(flaky, sessions, 'lazy dog');
    expect([...r.hits.keys()]).toEqual([fox]);
  });

  it('extracts only what a person reads from a line', () => {
    expect(searchableText({ type: 'attachment', content: 'secret sauce' })).toBe('');
    expect(searchableText({ type: 'summary', summary: 'a summary' })).toBe('a summary');
    expect(searchableText({ type: 'user', message: { content: 'plain' } })).toBe('plain');
    expect(searchableText({ type: 'user', message: null })).toBe('');
    expect(
      searchableText({
        type: 'assistant',
        message: { content: [{ type: 'text', text: 'A' }, { type: 'thinking', thinking: 'B' }, { type: 'tool_use', input: { x: ['C', { y: 'D' }], n: 5 } }, { type: 'tool_result', content: [{ type: 'text', text: 'E' }] }] },
      }).split('\n'),
    ).toEqual(['A', 'B', 'C\nD', 'E'].join('\n').split('\n'));
  });
});

describe('search in the sessions page', () => {
  let v: ViewerApp;
  afterEach(async () => {
    await v?.app.close();
  });

  it('lists matching sessions with a highlighted snippet linking to the line', async () => {
    const { store, fox } = await corpus();
    v = await viewerApp({}, store);
    const cookie = await login(v.app, ALICE_KEY);
    const res = await v.app.inject({ url: `/?q=${encodeURIComponent('lazy dog')}`, headers: { host: HOST, cookie } });
    expect(res.statusCode).toBe(200);
    const rows = [...res.body.matchAll(/<tr data-session="([^"]+)"/g)].map((m) => m[1]);
    expect(rows).toEqual([fox]);
    expect(res.body).toContain(`href="/sessions/${fox}?file=fox.jsonl#L3"`);
    expect(res.body).toContain('<mark class="hit">lazy dog</mark>');
    expect(res.body).toContain('titles and all 4 transcripts searched');
    const json = await v.app.inject({ url: `/ui/api/sessions?q=${encodeURIComponent('lazy dog')}`, headers: { host: HOST, cookie } });
    expect(json.json()).toMatchObject({ sessions: [{ id: fox, match: { where: 'content', fileName: 'fox.jsonl', line: 3 } }], search: { exhausted: false, total: 4 } });
  });

  it('offers to search older transcripts when the budget ran out', async () => {
    const { store, agentOnly } = await corpus();
    v = await viewerApp({ searchBudget: { maxBytes: 1 } }, store);
    const cookie = await login(v.app, ALICE_KEY);
    const res = await v.app.inject({ url: '/?q=zeppelin', headers: { host: HOST, cookie } });
    expect(res.body).toContain('No session matches.');
    expect(res.body).toContain('transcripts of sessions 1–1 of 4 (most recent first) searched');
    expect(res.body).toContain('href="/?q=zeppelin&amp;scan_from=1"');
    const later = await v.app.inject({ url: '/?q=zeppelin&scan_from=3', headers: { host: HOST, cookie } });
    expect(later.body).toContain(`data-session="${agentOnly}"`);
  });
});
