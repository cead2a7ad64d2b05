import { readdirSync, readFileSync } from 'node:fs';

/**
 * What the real-client tests with confab's own hooks check: which confab daemons a temp HOME
 * has running, and what the embedded store must hold for a transcript file.
 */

/** Pids of confab daemons whose environment has this HOME. */
export function confabDaemonPids(home: string): number[] {
  const needle = Buffer.from(`HOME=${home}\0`);
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('--bg-daemon') && readFileSync(`/proc/${e}/environ`).includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Wait until no confab daemon of this HOME runs; throws after timeoutMs. */
export async function daemonsDone(home: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (confabDaemonPids(home).length > 0) {
    if (Date.now() > deadline) throw new Error('confab daemons still running');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What confab must hold for a transcript: the file's lines, each through the default
 * redaction (which leaves a line without secrets byte-identical); the unterminated tail, if
 * any, as is.
 */
export async function expectedStoredBytes(path: string): Promise<Buffer> {
  const { createRedactor } = await import('../../src/redact/index.js');
  const redactor = createRedactor()!;
  const text = readFileSync(path, 'utf8');
  return Buffer.from(
    text
      .split('\n')
      .map((l, i, all) => (i === all.length - 1 ? l : redactor.redactLine(l)))
      .join('\n'),
  );
}
