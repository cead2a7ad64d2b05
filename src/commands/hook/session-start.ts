import { HOOK_CONTRACT, HookCommand } from './hook-command.js';

export default class HookSessionStart extends HookCommand {
  static override hookEvent = 'session-start' as const;
  static override description = `Start syncing a session (the agent's SessionStart hook).\n\n${HOOK_CONTRACT}`;
  static override examples = [`echo '{"session_id":"…","transcript_path":"…","cwd":"…"}' | <%= config.bin %> hook session-start`];
}
