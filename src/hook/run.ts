import { join } from 'node:path';
import { createFileLogger, type Logger } from '../log.js';
import { logDir } from '../paths.js';
import type { HookAnswer, HookEvent, Provider } from '../provider/contract.js';
import { getProvider, UnknownProviderError } from '../provider/registry.js';
import { findPluginProvider, payloadCwd } from './plugin-providers.js';
import { onPostToolUse, onPreToolUse, onSessionEnd, onSessionStart, onUserPromptSubmit, type HookContext } from './session-hooks.js';

/** Where a hook reads its payload and writes its answer; real hooks use fds 0/1/2. */
export interface HookIO {
  readInput(): Buffer | Promise<Buffer>;
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/** The neutral answer when even the provider could not be loaded (Claude Code's shape). */
export const FALLBACK_ANSWER = { continue: true, stopReason: '', suppressOutput: false };

export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').trim();
}

const HANDLERS: Partial<Record<HookEvent, (ctx: HookContext) => Promise<HookAnswer>>> = {
  'session-start': onSessionStart,
  'user-prompt-submit': onUserPromptSubmit,
  'session-end': onSessionEnd,
  'pre-tool-use': onPreToolUse,
  'post-tool-use': onPostToolUse,
};

/** Events that start daemons validate the transcript path: a daemon uploads whatever file it is given. */
const VALIDATE_TRANSCRIPT: ReadonlySet<HookEvent> = new Set(['session-start', 'session-end', 'user-prompt-submit']);

export function hookLogger(): Logger {
  return createFileLogger(join(logDir(), 'confab.log'));
}

/**
 * Run one hook command. Whatever happens, the agent gets a valid JSON answer on stdout and
 * the process exits 0: a confab problem must never block the agent. Problems go to stderr
 * (one line each) and the log; payloads are never logged.
 */
export async function runHook(event: HookEvent, providerName: string, io: HookIO, log: Logger = hookLogger()): Promise<void> {
  let provider: Provider | undefined;
  let answer: HookAnswer = { suppressOutput: event === 'user-prompt-submit' };
  try {
    try {
      provider = await getProvider(providerName);
    } catch (err) {
      if (!(err instanceof UnknownProviderError)) throw err;
    }
    const raw = await io.readInput();
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new Error(`hook payload is not valid JSON (${raw.length} bytes on stdin)`);
    }
    // Not built in: a plugin may provide it, possibly one listed in the project config of
    // the session's cwd, hence after reading the payload.
    provider ??= await findPluginProvider(providerName, payloadCwd(payload), (message) => {
      io.writeErr(`confab: ${oneLine(message)}\n`);
      log.warn(oneLine(message), { provider: providerName });
    });
    if (!provider) throw new UnknownProviderError(providerName);
    if (provider.events && !provider.events.includes(event)) {
      throw new Error(`${provider.displayName ?? provider.name} has no ${event} hook`);
    }
    const input = provider.parseHookInput(event, payload, { validateTranscript: VALIDATE_TRANSCRIPT.has(event) });
    const handler = HANDLERS[event];
    if (handler) {
      const ctx: HookContext = { provider, input, log, note: (text) => io.writeErr(`confab: ${text}\n`) };
      answer = { ...answer, ...(await handler(ctx)) };
    }
  } catch (err) {
    io.writeErr(`confab: ${oneLine(err)}\n`);
    log.warn(`hook ${event} failed: ${oneLine(err)}`, { provider: providerName });
  } finally {
    let body: unknown = FALLBACK_ANSWER;
    try {
      if (provider) body = provider.hookResponse(event, answer);
    } catch (err) {
      io.writeErr(`confab: provider ${providerName} could not build its answer: ${oneLine(err)}\n`);
    }
    io.writeOut(`${JSON.stringify(body)}\n`);
  }
}
