import { HOOK_CONTRACT, HookCommand } from './hook-command.js';

export default class HookPostToolUse extends HookCommand {
  static override hookEvent = 'post-tool-use' as const;
  static override description = `Record what a tool call produced (PostToolUse hook).\n\n${HOOK_CONTRACT}`;
  static override examples = [`echo '{"session_id":"…","tool_name":"Bash","tool_response":{}}' | <%= config.bin %> hook post-tool-use`];
}
