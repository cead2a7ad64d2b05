// Explicit command discovery: oclif loads this map instead of scanning the commands dir.
import type { Command } from '@oclif/core';
import HookPostToolUse from './hook/post-tool-use.js';
import HookPreToolUse from './hook/pre-tool-use.js';
import HookSessionEnd from './hook/session-end.js';
import HookSessionStart from './hook/session-start.js';
import HookUserPromptSubmit from './hook/user-prompt-submit.js';
import HooksAdd from './hooks/add.js';
import HooksRemove from './hooks/remove.js';
import Serve from './serve/index.js';
import ServeKeysCreate from './serve/keys/create.js';
import ServeKeysList from './serve/keys/list.js';
import ServeKeysRevoke from './serve/keys/revoke.js';
import PluginsIndex from './plugins/index.js';
import SyncStatus from './sync/status.js';
import SyncStop from './sync/stop.js';
import RedactionTest from './redaction-test.js';

export const COMMANDS: Record<string, Command.Class> = {
  'hook:post-tool-use': HookPostToolUse,
  'hook:pre-tool-use': HookPreToolUse,
  'hook:session-end': HookSessionEnd,
  'hook:session-start': HookSessionStart,
  'hook:user-prompt-submit': HookUserPromptSubmit,
  'hooks:add': HooksAdd,
  'hooks:remove': HooksRemove,
  serve: Serve,
  'serve:keys:create': ServeKeysCreate,
  'serve:keys:list': ServeKeysList,
  'serve:keys:revoke': ServeKeysRevoke,
  plugins: PluginsIndex,
  'sync:status': SyncStatus,
  'sync:stop': SyncStop,
  'redaction-test': RedactionTest,
};
