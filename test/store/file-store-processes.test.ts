import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';

const WRITER = fileURLToPath(new URL('./fixtures/store-writer.mjs', import.meta.url));
const lineFor = (n: number, w?: string) => JSON.stringify({ n, w, pad: 'x'.repeat((n * 7919) % 3000) });

let dir: string;
let storePath: string;
const children = new Set<ChildProcess>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confab-store-proc-'));
  storePath = join(dir, 'store');
});
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  rmSync(dir, { recursive: true, force: true });
});

interface Writer {
  child: ChildProcess;
  lines: string[];
  /** Resolves when the process has exited (and been reaped). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves at the first stdout line matching `re`. */
  waitFor(re: RegExp): Promise<void>;
}

function startWriter(args: string[]): Writer {
  const child = spawn(process.execPath, [WRITER, storePath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (!w.re.test(line)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stderr });
    }),
  );
  return {
    child,
    lines,
    exited,
    waitFor: (re) =>
      lines.some((l) => re.test(l))
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ re, resolve });
            void exited.then(({ stderr: e }) => reject(new Error(`writer exited before ${re}: ${e}`)));
          }),
  };
}

async function held(externalId: string, fileName: string) {
  // A fresh instance each time: what a restarted process would see.
  const store = await FileStore.open(storePath);
  const { session_id, files } = await store.init('local', { provider: 'claude-code', external_id: externalId, transcript_path: `/t/${externalId}.jsonl` });
  const reported = files[fileName]?.last_synced_line ?? 0;
  const info = (await store.getSession(session_id))!.files.find((f) => f.file_name === fileName);
  const data = reported === 0 ? Buffer.alloc(0) : await store.readFile(session_id, fileName);
  await store.close();
  return { session_id, reported, bytes: info?.bytes ?? 0, data };
}

describe('crash safety', () => {
  it('after SIGKILL at random instants, what the store reports equals what it holds, and nothing acknowledged is lost', async () => {
    const kills = 32;
    const target = 1_000_000; // never reached: every run ends in a kill
    let torn = 0;
    let inFlightCommitted = 0;
    let lastAck = 0;
    for (let k = 0; k < kills; k++) {
      const w = startWriter(['kill', 'crash-ext', 'transcript.jsonl', 'A', String(target), String(k + 1)]);
      await w.waitFor(/^send /);
      await new Promise((r) => setTimeout(r, Math.random() * 60));
      w.child.kill('SIGKILL');
      const { signal } = await w.exited;
      expect(signal).toBe('SIGKILL');

      const acks = w.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.split(' ')[1]));
      const sends = w.lines.filter((l) => l.startsWith('send ')).map((l) => l.split(' ').map(Number));
      if (acks.length) lastAck = acks[acks.length - 1]!;
      const lastSend = sends[sends.length - 1]!;

      const { session_id, reported, bytes, data } = await held('crash-ext', 'transcript.jsonl');
      // Nothing acknowledged is lost; at most the one chunk in flight is added.
      expect(reported === lastAck || (lastSend[1] === lastAck + 1 && reported === lastSend[2])).toBe(true);
      if (reported !== lastAck) inFlightCommitted++;
      lastAck = reported;
      // Reported equals held, line for line, and no torn line is ever returned.
      expect(data.length).toBe(bytes);
      const expected = Array.from({ length: reported }, (_, i) => lineFor(i + 1)).join('\n') + (reported ? '\n' : '');
      expect(data.toString()).toBe(expected);
      const dataFile = join(storePath, 'sessions', session_id, 'files', '1.jsonl');
      if (reported > 0 && statSync(dataFile).size > bytes) torn++;
    }
    // The writer resumes and finishes cleanly over whatever the kills left (stale locks included).
    const finish = startWriter(['kill', 'crash-ext', 'transcript.jsonl', 'A', String(lastAck + 50), '99']);
    const { code, stderr } = await finish.exited;
    expect(code, stderr).toBe(0);
    const end = await held('crash-ext', 'transcript.jsonl');
    expect(end.reported).toBe(lastAck + 50);
    expect(end.data.toString()).toBe(Array.from({ length: end.reported }, (_, i) => lineFor(i + 1)).join('\n') + '\n');
    console.log(`crash test: ${kills} kills, ${lastAck} lines, ${torn} torn tails discarded, ${inFlightCommitted} in-flight chunks committed`);
  }, 180_000);
});

describe('several processes', () => {
  it('writers of different sessions never disturb each other', async () => {
    const writers = Array.from({ length: 4 }, (_, i) => startWriter(['kill', `sess-${i}`, 'transcript.jsonl', 'A', '600', String(i + 7)]));
    for (const w of writers) {
      const { code, stderr } = await w.exited;
      expect(code, stderr).toBe(0);
    }
    for (let i = 0; i < 4; i++) {
      const { reported, data } = await held(`sess-${i}`, 'transcript.jsonl');
      expect(reported).toBe(600);
      expect(data.toString()).toBe(Array.from({ length: 600 }, (_, n) => lineFor(n + 1)).join('\n') + '\n');
    }
  }, 120_000);

  it('two writers racing on one file: the continuity rule lets exactly one copy of each line in', async () => {
    const target = 1500;
    const a = startWriter(['race', 'raced', 'transcript.jsonl', 'A', String(target), '3']);
    const b = startWriter(['race', 'raced', 'transcript.jsonl', 'B', String(target), '5']);
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect([ra.code, rb.code], ra.stderr + rb.stderr).toEqual([0, 0]);
    const { reported, bytes, data } = await held('raced', 'transcript.jsonl');
    expect(reported).toBe(target);
    expect(data.length).toBe(bytes);
    const lines = data.toString().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(target);
    // Line n is line n, written whole by one of the two writers: no duplicate, gap or mix.
    lines.forEach((l, i) => expect([lineFor(i + 1, 'A'), lineFor(i + 1, 'B')]).toContain(l));
    const acked = (w: Writer) => w.lines.filter((l) => l.startsWith('ack ')).length;
    const conflicts = [a, b].reduce((n, w) => n + w.lines.filter((l) => l === 'conflict').length, 0);
    console.log(`race test: A ${acked(a)} chunks, B ${acked(b)} chunks, ${conflicts} continuity refusals`);
    // Each acknowledged chunk's lines carry its writer's tag.
    for (const [w, tag] of [[a, 'A'], [b, 'B']] as const) {
      const sends = w.lines.map((l, i) => [l, w.lines[i + 1]] as const).filter(([l, next]) => l.startsWith('send ') && next?.startsWith('ack '));
      for (const [send] of sends) {
        const [, first, last] = send.split(' ').map(Number) as [number, number, number];
        for (let n = first; n <= last; n++) expect(lines[n - 1]).toBe(lineFor(n, tag));
      }
    }
  }, 120_000);

  it('concurrent inits of the same session in several processes create one session', async () => {
    const ws = Array.from({ length: 6 }, () => startWriter(['init', 'born-once', 'x', 'A']));
    const ids = new Set<string>();
    for (const w of ws) {
      expect((await w.exited).code).toBe(0);
      ids.add(w.lines.find((l) => l.startsWith('session '))!.slice(8));
    }
    expect(ids.size).toBe(1);
    const store = await FileStore.open(storePath);
    expect((await store.listSessions()).map((s) => s.session_id)).toEqual([...ids]);
    expect(readFileSync(join(storePath, 'store.json'), 'utf8')).toMatch(/"id_salt":"[0-9a-f]{64}"/);
  }, 60_000);
});
