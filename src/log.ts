import { appendFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from './fs/private-files.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured fields are for sizes, counts, ids and paths — never payloads or keys. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines carry `prefix` (e.g. `[ext=1a2b3c4d sess=…]`). */
  child(prefix: string): Logger;
}

/** Parse a Go-CLI `log_level` (`warning` is accepted for `warn`); unknown → info. */
export function parseLogLevel(value: string | undefined): LogLevel {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'warning') return 'warn';
  return v in LEVELS ? (v as LogLevel) : 'info';
}

/** API keys must never reach a log, even inside an error message that quotes a config value. */
export function scrubSecrets(text: string): string {
  return text.replace(/cfb_[A-Za-z0-9_-]{8,}/g, 'cfb_[REDACTED]').replace(/(Bearer\s+)[^\s"']+/gi, '$1[REDACTED]');
}

/** `\r` and `\n` as their escapes, so a log entry stays on one line. */
export function escapeLineBreaks(text: string): string {
  return text.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function formatFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export interface FileLoggerOptions {
  level?: LogLevel;
  /** Rotate to `<file>.1` when the file passes this size (one backup kept). */
  maxBytes?: number;
  /** Also copy warn/error lines to stderr (interactive commands). */
  stderr?: boolean;
}

/**
 * Append whole entries to `file` (0600, in a 0700 dir), one write call each (O_APPEND, so
 * several processes can share a file without interleaving), rotating to `<file>.1` past
 * `maxBytes`. Never throws: logging must not take a daemon or a server down. With
 * `privateDir: false` the directory is left as it is (a path the user chose).
 */
export function createLogAppender(file: string, opts: { maxBytes?: number; privateDir?: boolean } = {}): (entry: string) => void {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  let checkedDir = opts.privateDir === false;
  let writes = 0;
  return (entry) => {
    try {
      if (!checkedDir) {
        ensurePrivateDirSync(join(file, '..'));
        checkedDir = true;
      }
      // Check the size every few writes, not every write: stat is cheap but not free.
      if (writes++ % 20 === 0) {
        try {
          if (statSync(file).size > maxBytes) renameSync(file, `${file}.1`);
        } catch {
          // no file yet
        }
      }
      appendFileSync(file, entry, { mode: PRIVATE_FILE_MODE });
    } catch {
      // Logging is best-effort.
    }
  };
}

/** A logger appending one line per entry to a rotating file (see createLogAppender). */
export function createFileLogger(file: string, opts: FileLoggerOptions = {}): Logger {
  const min = LEVELS[opts.level ?? 'info'];
  const append = createLogAppender(file, opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes });

  const write = (level: LogLevel, prefix: string, message: string, fields?: LogFields) => {
    if (LEVELS[level] < min) return;
    // One entry, one line: a message quoting a file, a key or a server's answer must not be
    // able to break the log (or forge entries) with its own line breaks.
    const line = escapeLineBreaks(scrubSecrets(`[${timestamp()}] ${prefix}${level.toUpperCase()}: ${message}${formatFields(fields)}`));
    if (opts.stderr && LEVELS[level] >= LEVELS.warn) process.stderr.write(`${line}\n`);
    append(`${line}\n`);
  };

  const make = (prefix: string): Logger => ({
    debug: (m, f) => write('debug', prefix, m, f),
    info: (m, f) => write('info', prefix, m, f),
    warn: (m, f) => write('warn', prefix, m, f),
    error: (m, f) => write('error', prefix, m, f),
    child: (p) => make(`${prefix}${p} `),
  });
  return make('');
}

/** A logger that drops everything (library use without a log file). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** Collects lines in memory; for tests that assert on what was (or was not) logged. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const make = (prefix: string): Logger => {
    const w = (level: LogLevel) => (m: string, f?: LogFields) => lines.push(scrubSecrets(`${prefix}${level.toUpperCase()}: ${m}${formatFields(f)}`));
    return { debug: w('debug'), info: w('info'), warn: w('warn'), error: w('error'), child: (p) => make(`${prefix}${p} `) };
  };
  return Object.assign(make(''), { lines });
}
