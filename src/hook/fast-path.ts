/**
 * The hook path agents run on every session start and tool call (`confab hook …`): argv and
 * stdin (`argv.ts`, `stdin.ts`), the provider's payload check and answer (`run.ts`), and what
 * each hook does (`session-hooks.ts`). Bundled into `dist/hook.cjs`; never loads oclif.
 */
import { writeSync } from 'node:fs';
import { HookUsageError, parseHookArgv } from './argv.js';
import { FALLBACK_ANSWER, runHook, type HookIO } from './run.js';
import { readStdinSync } from './stdin.js';
import { runDaemonMain } from '../compose/daemon-main.js';

const fdIO: HookIO = {
  readInput: () => readStdinSync(0),
  writeOut: (text) => writeAll(1, text),
  writeErr: (text) => writeAll(2, text),
};

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}

/**
 * Entry for `confab hook …` and `confab sync start|stop`, bundled into `dist/hook.cjs` so it
 * never loads oclif or scans commands. Returns false when argv is not for the fast path
 * (e.g. `--help`), so the caller falls through to oclif.
 */
export async function runHookFastPath(argv: readonly string[], io: HookIO = fdIO): Promise<boolean> {
  let invocation;
  try {
    invocation = parseHookArgv(argv);
  } catch (err) {
    if (!(err instanceof HookUsageError)) throw err;
    io.writeErr(`confab: ${err.message}\n`);
    io.writeOut(`${JSON.stringify(FALLBACK_ANSWER)}\n`);
    return true;
  }
  if (!invocation) return false;
  if (invocation.bgDaemon !== undefined) {
    // bin/run.js starts a daemon from its own bundle (dist/daemon.cjs) and comes here only for a
    // command line of another form; the sync engine stays out of the hook bundle either way.
    await runDaemonMain(invocation.bgDaemon);
  }
  await runHook(invocation.event, invocation.provider, io);
  return true;
}
