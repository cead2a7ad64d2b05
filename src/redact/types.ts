/**
 * One redaction rule. The same shape serves the built-ins, the project config
 * (`confab.config.ts`, camelCase) and `~/.confab/config.json` (snake_case, converted by
 * `redactionOptionsFromUserConfig`).
 *
 * - `pattern` only: every match in every string is replaced by `[REDACTED:<TYPE>]`.
 * - `fieldPattern` only: string values of JSON fields whose name matches are replaced whole.
 * - both: inside matching fields only, matches of `pattern` are replaced.
 * - `captureGroup: N`: only group N of each match is replaced (the rest stays readable).
 *
 * A string is RE2 syntax (Go's: `(?i)`, `(?P<name>…)`, `\z`, inline flags); a RegExp is
 * translated to RE2. User patterns always run on a linear-time engine (re2js), so no
 * pattern can stall the daemon, however it backtracks in other engines.
 */
export interface RedactionPatternSpec {
  name: string;
  type: string;
  pattern?: RegExp | string;
  fieldPattern?: RegExp | string;
  captureGroup?: number;
}

export interface RedactionOptions {
  /** Default true: redaction is on unless explicitly turned off. */
  enabled?: boolean;
  /** Default true: the built-in patterns run before the custom ones. */
  useDefaultPatterns?: boolean;
  patterns?: RedactionPatternSpec[];
}

export interface Redactor {
  /** Redact one transcript line (JSON-aware). A line with nothing to redact comes back as the same string. */
  redactLine(line: string): string;
  /** Redact free text (metadata such as a summary or first user message): value patterns only. */
  redactText(text: string): string;
  /** Redactions made so far by this redactor, by marker type (e.g. `API_KEY`). */
  readonly stats: ReadonlyMap<string, number>;
}

/** An invalid redaction setting or pattern; the message names the key or pattern. */
export class RedactionConfigError extends Error {
  override readonly name = 'RedactionConfigError';

  constructor(
    message: string,
    /** The spec key at fault (`pattern`, `fieldPattern`, `captureGroup`, `type`), when one is. */
    readonly key?: string,
    /** The message without the pattern's name, for callers that word the location themselves. */
    readonly reason: string = message,
  ) {
    super(message);
  }
}
