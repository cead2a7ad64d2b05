import type { HookAnswer, HookEvent, Provider } from '../provider/contract.js';
import { getProvider } from '../provider/registry.js';

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

/**
 * Run one hook command. Whatever happens, the agent gets a valid JSON answer on stdout and
 * the process exits 0: a confab problem must never block the agent. Problems go to stderr.
 */
export async function runHook(event: HookEvent, providerName: string, io: HookIO): Promise<void> {
  let provider: Provider | undefined;
  const answer: HookAnswer = { suppressOutput: event === 'user-prompt-submit' };
  try {
    provider = await getProvider(providerName);
    const raw = await io.readInput();
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new Error(`hook payload is not valid JSON (${raw.length} bytes on stdin)`);
    }
    provider.parseHookInput(event, payload, { validateTranscript: event === 'session-start' || event === 'session-end' });
  } catch (err) {
    io.writeErr(`confab: ${oneLine(err)}\n`);
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
