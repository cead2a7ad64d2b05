import { Command } from '@oclif/core';
import { scrubSecrets } from '../log.js';

/**
 * Base of confab's commands: failures become one clear line on stderr and exit code 1 —
 * never a stack trace (set DEBUG=confab to see one).
 */
export abstract class ConfabCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number }; parse?: unknown }): Promise<unknown> {
    // Bad flags or arguments: one line and a pointer to the help (not the whole usage text).
    if (err.parse !== undefined) {
      const first = err.message
        .split('\n')
        .filter((l) => l.trim() && !/^See more help/.test(l.trim()))
        .join(' ');
      const help = `confab ${(this.id ?? '').replace(/:/g, ' ')} --help`.replace(/\s+/g, ' ');
      this.error(`${first.replace(/\s+/g, ' ').trim()} (see ${help})`, { exit: err.oclif?.exit ?? 2 });
    }
    // Other oclif errors (exit requests…) already carry their exit code and message.
    if (err.oclif?.exit !== undefined) return super.catch(err);
    if (process.env.DEBUG?.includes('confab')) process.stderr.write(`${err.stack}\n`);
    const message = scrubSecrets((err.message || String(err)).replace(/\s+/g, ' ').trim());
    this.error(message, { exit: typeof err.exitCode === 'number' ? err.exitCode : 1 });
  }
}

/** An error a command reports as-is, with an exit code. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Colour only when writing to a terminal (and NO_COLOR is unset). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/** Render rows as an aligned plain-text table. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
