import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OVERSIZED_LINE_TYPE } from '../../src/sync/line-text.js';
import { sleep } from './helpers/random.js';
import { endSession, expectBackendHolds, expectedContent, expectedFiles, startSession } from './helpers/session.js';
import { BACKENDS, pick, useWorld } from './helpers/world.js';

// The fault matrix, part 3: what the agent (or the user) does to the transcript files.

const openWorld = useWorld();

/** Complete lines of a file's content. */
function lines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
    out.push(buf.subarray(start, nl + 1));
    start = nl + 1;
  }
  return out;
}

/**
 * The documented guarantee for a file that was rewritten: lines already on the backend are
 * immutable there, so it keeps its first `n` lines (the old ones) and receives the new
 * content's lines from line n+1 on — line numbers stay the file's line numbers.
 */
function afterRewrite(old: Buffer, now: Buffer, n: number): Buffer {
  return expectedContent(Buffer.concat([...lines(old).slice(0, n), ...lines(now).slice(n)]));
}

describe.each(BACKENDS)('transcript files (%s)', (kind) => {
  it('truncated, replaced and deleted mid-session: the backend keeps what it had and continues at its own line count', async () => {
    const w = await openWorld(kind);
    const s = await startSession(w);
    await s.work(6);
    await expectBackendHolds(w, s);
    const agentBefore = readFileSync(s.agentPath);

    // 1. Truncated to two lines, then written on past the old length.
    const v1 = readFileSync(s.transcriptPath);
    const n1 = lines(v1).length;
    truncateSync(s.transcriptPath, lines(v1).slice(0, 2).reduce((a, l) => a + l.length, 0));
    await sleep(300);
    s.append(n1 + 3);
    let expected = afterRewrite(v1, readFileSync(s.transcriptPath), n1);
    await expectBackendHolds(w, s, { expected: { [s.transcriptName]: expected, [s.agentName]: expectedContent(agentBefore) } });

    // 2. Replaced by a different file (a new inode, as an editor saving it), shorter first.
    const v2 = Buffer.concat([...lines(readFileSync(s.transcriptPath)).slice(0, 3), Buffer.from(`${JSON.stringify({ type: 'summary', rewritten: true })}\n`)]);
    const n2 = (await w.held(s.id))!.files[s.transcriptName]!.toString().split('\n').length - 1;
    writeFileSync(`${s.transcriptPath}.new`, v2);
    renameSync(`${s.transcriptPath}.new`, s.transcriptPath);
    await sleep(300);
    // Shorter than what the backend holds: nothing to upload until it grows past it.
    expect((await w.held(s.id))!.files[s.transcriptName]).toEqual(expected);
    s.append(n2 + 2);
    const heldBefore = lines(Buffer.from(expected.toString())).length;
    expected = Buffer.concat([expected, expectedContent(Buffer.concat(lines(readFileSync(s.transcriptPath)).slice(heldBefore)))]);
    await expectBackendHolds(w, s, { expected: { [s.transcriptName]: expected, [s.agentName]: expectedContent(agentBefore) } });

    // 3. The sub-agent file deleted, then created again with new content.
    rmSync(s.agentPath);
    await sleep(300);
    const agentLines = lines(agentBefore).length;
    s.append(agentLines + 4, 'agent');
    const agentExpected = afterRewrite(agentBefore, readFileSync(s.agentPath), agentLines);
    await expectBackendHolds(w, s, { expected: { [s.transcriptName]: expected, [s.agentName]: agentExpected } });

    // 4. The transcript deleted for good: the session still ends cleanly.
    rmSync(s.transcriptPath);
    await s.hook('session-end');
    await s.daemonGone();
    const held = await expectBackendHolds(w, s, { expected: { [s.transcriptName]: expected, [s.agentName]: agentExpected } });
    expect(held.events.map((e) => e.event_type)).toEqual(['session_end']);
  });

  it('rewritten in place and grown past its old length between two looks (a newline even lands at the old end)', async () => {
    const w = await openWorld(kind);
    const s = await startSession(w);
    await s.work(5);
    await expectBackendHolds(w, s);
    const agent = () => expectedFiles(s)[s.agentName];
    let want = expectedContent(readFileSync(s.transcriptPath));
    for (let round = 0; round < pick(3, 10); round++) {
      const oldSize = readFileSync(s.transcriptPath).length;
      const held = lines(want).length;
      // New content of the same inode, longer than the old, with a line ending exactly where the
      // old content ended: only the content tells a rewrite from an append here.
      const head = (pad: number) => Buffer.from(`${JSON.stringify({ type: 'summary', round, pad: 'r'.repeat(pad) })}\n`);
      const first = head(Math.max(0, oldSize - head(0).length));
      const rest = Array.from({ length: held + 2 }, (_, i) => Buffer.from(`${JSON.stringify({ type: 'user', round, i })}\n`));
      const fresh = Buffer.concat([first, ...rest]);
      expect(first.length).toBe(oldSize);
      const fd = openSync(s.transcriptPath, 'r+');
      try {
        writeSync(fd, fresh, 0, fresh.length, 0);
      } finally {
        closeSync(fd);
      }
      want = Buffer.concat([want, expectedContent(Buffer.concat(lines(fresh).slice(held)))]);
      await expectBackendHolds(w, s, { expected: { [s.transcriptName]: want, ...(agent() ? { [s.agentName]: agent()! } : {}) } });
      // Later appends continue from there.
      s.append(2);
      want = Buffer.concat([want, expectedContent(Buffer.concat(lines(readFileSync(s.transcriptPath)).slice(lines(fresh).length)))]);
      await expectBackendHolds(w, s, { expected: { [s.transcriptName]: want, ...(agent() ? { [s.agentName]: agent()! } : {}) } });
    }
  });

  it('partial lines written byte by byte are uploaded only once complete', async () => {
    const w = await openWorld(kind);
    const s = await startSession(w);
    const rounds = pick(3, 10);
    for (let r = 0; r < rounds; r++) {
      // A line with multi-byte characters, written one byte per write, while the daemon syncs.
      const line = Buffer.from(`${JSON.stringify({ type: 'assistant', r, text: `héllo — wörld ✓ 🎉 ${'z'.repeat(r * 7)}` })}\n`);
      for (let i = 0; i < line.length; i++) {
        s.appendRaw('main', line.subarray(i, i + 1));
        if (i % 4 === 0) await sleep(2);
      }
      // And a line in uneven pieces, split inside a 4-byte character.
      const big = Buffer.from(`${JSON.stringify({ type: 'user', r, text: '🎉'.repeat(200) })}\n`);
      for (let i = 0; i < big.length; ) {
        const n = 1 + ((i * 7 + r) % 61);
        s.appendRaw('main', big.subarray(i, i + n));
        i += n;
        await sleep(3);
      }
      s.append(1);
    }
    // A last line left without its newline is not uploaded, even at the end of the session.
    s.appendRaw('main', '{"type":"user","unfinished":');
    const held = await endSession(w, s);
    expect(held.files[s.transcriptName]!.toString()).not.toContain('unfinished');
  });

  it('a 20 MB line: a placeholder takes its place and the lines after it stay aligned', async () => {
    const w = await openWorld(kind);
    const s = await startSession(w);
    s.append(2);
    const huge = Buffer.concat([Buffer.from('{"type":"user","blob":"'), Buffer.alloc(20 * 1024 * 1024, 'a'), Buffer.from('"}\n')]);
    s.appendRaw('main', huge);
    s.append(3);
    await s.work(3);
    // The largest request each backend takes, less the room kept for metadata (see docs/sync.md).
    const maxLineBytes = (kind === 'http' ? 15 : 16) * 1024 * 1024 - 64 * 1024;
    const expected = { ...expectedFiles(s), [s.transcriptName]: expectedContent(readFileSync(s.transcriptPath), { maxLineBytes }) };
    await s.hook('session-end');
    await s.daemonGone(60_000);
    const held = await expectBackendHolds(w, s, { expected, timeoutMs: 60_000 });
    const stored = held.files[s.transcriptName]!.toString().split('\n');
    const placeholder = JSON.parse(stored.find((l) => l.includes(OVERSIZED_LINE_TYPE))!) as Record<string, unknown>;
    expect(placeholder).toEqual({ type: OVERSIZED_LINE_TYPE, original_bytes: huge.length - 1, sha256: createHash('sha256').update(huge.subarray(0, -1)).digest('hex') });
    expect(w.daemonLog(s.id)).toMatch(/line too large for any request; uploaded a placeholder in its place .*bytes=20971545/);
  });

  it('bytes that are not UTF-8 arrive as U+FFFD (as documented); odd but valid lines arrive unchanged', async () => {
    const w = await openWorld(kind);
    const s = await startSession(w);
    const odd = [
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"a":"\xff\xfe"}
      Buffer.concat([Buffer.from('{"cut":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]), // a truncated 3-byte sequence
      Buffer.concat([Buffer.from('{"overlong":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"surrogate":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      Buffer.from('{"type":"user","message":{"role":"user","content":"nul \u0000 inside, and a BOM \ufeff"}}'),
      Buffer.from('\ufeff{"bom":"first"}\r'),
      Buffer.from(''),
      Buffer.from('not json at all, with a token ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'),
      Buffer.from([0x00, 0x01, 0x02, 0x80, 0x81]),
    ];
    for (const line of odd) s.appendRaw('main', Buffer.concat([line, Buffer.from('\n')]));
    s.append(2);
    const held = await endSession(w, s);
    const stored = held.files[s.transcriptName]!.toString('utf8');
    expect(stored).toContain('{"a":"\ufffd\ufffd"}');
    expect(stored).toContain('{"cut":"\ufffd"}');
    expect(stored).not.toContain('ghp_a1B2c3D4');
    expect(w.daemonLog(s.id)).toMatch(/line is not valid UTF-8; invalid bytes were sent as U\+FFFD/);
  });
});
