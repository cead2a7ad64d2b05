/**
 * The CLI's commands, one file per command (`<topic>/<name>.ts` is `confab <topic> <name>`,
 * `<topic>/index.ts` is `confab <topic>`): oclif finds them by that layout, and the build
 * records them in oclif.manifest.json so that only the command being run is imported. The
 * base of confab's commands (below) and `hook/hook-command.ts` are the modules here that are
 * not commands (package.json's `oclif.commands.globPatterns` leaves them out).
 */
import { Command } from '@oclif/core';
import { scrubSecrets } from '../log.js';

/**
 * Base of confab's commands: failures become one clear line on stderr and exit code 1 —
 * never a stack trace (set DEBUG=confab to see one).
 */
export abstract class ConfabCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number; code?: string; oclif?: { exit?: number }; parse?: unknown }): Promise<unknown> {
    // `this.exit()` is an exception too: let oclif finish it.
    if (err.code === 'EEXIT') return super.catch(err);
    if (process.env.DEBUG?.includes('confab')) process.stderr.write(`${err.stack}\n`);
    let message = scrubSecrets((err.message || String(err)).replace(/\s+/g, ' ').trim());
    let exit = typeof err.exitCode === 'number' ? err.exitCode : (err.oclif?.exit ?? 1);
    if (err.parse !== undefined) {
      // Bad flags or arguments: the problem and a pointer to the help, not the whole usage text.
      message = message.replace(/\s*See more help with --help\s*/g, ' ').trim();
      message = `${message} (see confab ${(this.id ?? '').replace(/:/g, ' ')} --help)`.replace(/\s+/g, ' ');
      exit = err.oclif?.exit ?? 2;
      // Parsing was attempted: no "did not parse its arguments" warning (outside production).
      this.parsed = true;
    }
    // Written here, not by oclif, which wraps long messages over several lines.
    process.stderr.write(`Error: ${message}\n`);
    if (this.jsonEnabled()) this.logJson({ error: { message, exitCode: exit } });
    process.exitCode = exit;
    return undefined;
  }
}

export { CommandError } from '../cli/command-error.js';

/**
 * Colour on a terminal. NO_COLOR (set to anything but '') turns it off everywhere; else
 * FORCE_COLOR turns it on off a terminal too (`0`/`false`: off). The same rules as oclif's
 * own output (help, warnings), so the two never disagree.
 */
export function useColor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.trim().toLowerCase());
  return Boolean(stream.isTTY);
}

/** Render rows as an aligned plain-text table. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
