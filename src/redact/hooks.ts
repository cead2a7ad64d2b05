import type { DaemonHooks } from '../extension/daemon-hooks.js';
import type { Redactor } from './types.js';

/** The name redaction taps with, so other taps can order themselves around it. */
export const REDACTION_TAP = 'confab:redaction';

/**
 * Tap redaction into a daemon's `line` and `metadata` hooks. Other taps can run before it
 * (`{ name, before: 'confab:redaction' }`, e.g. to drop lines) or after it (registered later,
 * or with a higher `stage`), and then see only redacted text.
 */
export function applyRedaction(hooks: Pick<DaemonHooks, 'line' | 'metadata'>, redactor: Redactor): void {
  hooks.line.tap(REDACTION_TAP, (line) => redactor.redactLine(line));
  hooks.metadata.tap(REDACTION_TAP, (value) => redactor.redactText(value));
}
