import { defineProvider, HookInputError, type HookEvent, type SessionHookInput } from 'confab/provider';
import { isAbsolute } from 'node:path';

const SESSION_ID = /^[A-Za-z0-9_-]+$/;

function field(payload: Record<string, unknown>, key: string): string {
  const value = payload[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new HookInputError(`hook payload field "${key}" must be a string`);
  return value;
}

export const claudeCode = defineProvider({
  name: 'claude-code',
  displayName: 'Claude Code',

  parseHookInput(_event: HookEvent, payload: unknown, opts: { validateTranscript: boolean }): SessionHookInput {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new HookInputError('hook payload must be a JSON object');
    }
    const record = payload as Record<string, unknown>;
    const sessionId = field(record, 'session_id');
    if (!SESSION_ID.test(sessionId)) throw new HookInputError('hook payload "session_id" must match ^[A-Za-z0-9_-]+$');
    const transcriptPath = field(record, 'transcript_path');
    if (opts.validateTranscript) {
      if (!isAbsolute(transcriptPath)) throw new HookInputError('hook payload "transcript_path" must be an absolute path');
      if (transcriptPath.split(/[\\/]/).includes('..')) throw new HookInputError('hook payload "transcript_path" must not contain ".."');
    }
    return {
      sessionId,
      transcriptPath,
      cwd: field(record, 'cwd'),
      hookEventName: field(record, 'hook_event_name') || undefined,
      payload: record,
    };
  },

  hookResponse(_event, answer) {
    return {
      continue: true,
      stopReason: '',
      suppressOutput: answer.suppressOutput ?? false,
      ...(answer.systemMessage ? { systemMessage: answer.systemMessage } : {}),
    };
  },
});

export default claudeCode;
