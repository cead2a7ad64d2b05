import type { Redactor } from './types.js';

export interface JsonlReport {
  lines: number;
  changedLines: number;
}

/**
 * Redact a JSONL stream line by line, keeping its line structure exactly (a last line without
 * a newline stays without one). Lines are split on the raw bytes, so a multi-byte character
 * never straddles two reads.
 */
export async function redactJsonl(
  input: AsyncIterable<Buffer | string>,
  write: (text: string) => void | Promise<void>,
  redactor: Redactor,
): Promise<JsonlReport> {
  const report: JsonlReport = { lines: 0, changedLines: 0 };
  let pending: Buffer = Buffer.alloc(0);
  const emit = async (line: string, newline: boolean) => {
    const out = redactor.redactLine(line);
    report.lines++;
    if (out !== line) report.changedLines++;
    await write(newline ? `${out}\n` : out);
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let data = pending.length ? Buffer.concat([pending, buf]) : buf;
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      await emit(data.toString('utf8', start, nl), true);
      start = nl + 1;
    }
    data = data.subarray(start);
    pending = Buffer.from(data);
  }
  if (pending.length) await emit(pending.toString('utf8'), false);
  return report;
}
