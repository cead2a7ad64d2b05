import { HOOK_CONTRACT, HookCommand } from './hook-command.js';

export default class HookSessionEnd extends HookCommand {
  static override hookEvent = 'session-end' as const;
  static override description = `Stop a session's daemon after a final sync (the agent's SessionEnd hook).\n\n${HOOK_CONTRACT}`;
  static override examples = [`echo '{"session_id":"…","transcript_path":"…","reason":"exit"}' | <%= config.bin %> hook session-end`];
}
