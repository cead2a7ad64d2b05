import { HOOK_CONTRACT, HookCommand } from './hook-command.js';

export default class HookUserPromptSubmit extends HookCommand {
  static override hookEvent = 'user-prompt-submit' as const;
  static override description = `Restart a session's daemon if it is not running (UserPromptSubmit hook).\n\n${HOOK_CONTRACT}`;
  static override examples = [`echo '{"session_id":"…","transcript_path":"…","prompt":"…"}' | <%= config.bin %> hook user-prompt-submit`];
}
