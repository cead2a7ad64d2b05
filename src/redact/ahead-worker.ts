/**
 * The thread behind `RedactionAhead`: redacts batches of lines as read, with a redactor built
 * from the same options as the main thread's, and measures each result as a JSON string.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeLine, encodeWireLine } from '../format/wire-line.js';
import { buildRedactor } from './redactor.js';
import type { AheadBatch, AheadReply } from './ahead.js';
import type { RedactionOptions } from './types.js';

const redactor = buildRedactor((workerData as { options: RedactionOptions }).options);
const port = parentPort;
if (!redactor || !port) throw new Error('redaction ahead: started without redaction options or a parent');

/** Redactions per marker type as of the line before, to tell which line made which. */
const seen = new Map<string, number>();

function countsSince(): [string, number][] | undefined {
  let delta: [string, number][] | undefined;
  for (const [type, n] of redactor!.stats) {
    const before = seen.get(type) ?? 0;
    if (n === before) continue;
    (delta ??= []).push([type, n - before]);
    seen.set(type, n);
  }
  return delta;
}

port.on('message', ({ id, data, ends, json }: AheadBatch) => {
  const bytes = Buffer.from(data);
  const wireBytes = new Uint32Array(ends.length);
  const changed: AheadReply['changed'] = [];
  // With `json`, each line's JSON as well, kept until the batch's buffer can be sized.
  const jsons: string[] | undefined = json ? new Array<string>(ends.length) : undefined;
  let total = 0;
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const { text, ascii } = decodeLine(bytes.subarray(start, end));
    start = end;
    const out = redactor.redactLine(text);
    // Measured as the engine measures a line it prepares itself.
    const encoded = encodeWireLine(out, ascii && out === text);
    wireBytes[i] = encoded.wireBytes;
    total += encoded.wireBytes;
    if (jsons) jsons[i] = encoded.json;
    const counts = countsSince();
    if (out !== text || counts) changed.push([i, out === text ? null : out, counts ?? []]);
  }
  const reply: AheadReply = { id, wireBytes, changed };
  const transfer: ArrayBuffer[] = [wireBytes.buffer];
  if (jsons) {
    // One buffer of every line's JSON in order, moved to the engine: it splices them into request
    // bodies as they are, and never holds them as strings.
    const out = Buffer.from(new ArrayBuffer(total));
    let at = 0;
    for (let i = 0; i < jsons.length; i++) {
      const text = jsons[i]!;
      // One byte per character: ASCII, copied as Latin-1 rather than transcoded.
      at += out.write(text, at, wireBytes[i] === text.length ? 'latin1' : 'utf8');
    }
    reply.json = out.buffer as ArrayBuffer;
    transfer.push(reply.json);
  }
  port.postMessage(reply, transfer);
});
