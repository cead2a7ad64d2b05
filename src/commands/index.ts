// Explicit command discovery: oclif loads this map instead of scanning the commands dir.
import type { Command } from '@oclif/core';
import Demo from './demo.js';
import Export from './export.js';
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
import ServeShareCreate from './serve/share/create.js';
import ServeShareList from './serve/share/list.js';
import ServeShareRevoke from './serve/share/revoke.js';
import PluginsIndex from './plugins/index.js';
import List from './list.js';
import Login from './login.js';
import Mcp from './mcp/index.js';
import McpInstall from './mcp/install.js';
import McpRemove from './mcp/remove.js';
import Logout from './logout.js';
import Save from './save.js';
import SessionDownload from './session/download.js';
import SessionListFiles from './session/list-files.js';
import SessionShow from './session/show.js';
import Setup from './setup.js';
import Status from './status.js';
import SyncStatus from './sync/status.js';
import SyncStop from './sync/stop.js';
import RedactionTest from './redaction-test.js';
import Restore from './restore.js';
import IndexRebuild from './index/rebuild.js';
import Search from './search.js';
import Usage from './usage.js';

export const COMMANDS: Record<string, Command.Class> = {
  demo: Demo,
  export: Export,
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
  'serve:share:create': ServeShareCreate,
  'serve:share:list': ServeShareList,
  'serve:share:revoke': ServeShareRevoke,
  plugins: PluginsIndex,
  list: List,
  login: Login,
  mcp: Mcp,
  'mcp:install': McpInstall,
  'mcp:remove': McpRemove,
  logout: Logout,
  save: Save,
  'session:download': SessionDownload,
  'session:list-files': SessionListFiles,
  'session:show': SessionShow,
  setup: Setup,
  status: Status,
  'sync:status': SyncStatus,
  'sync:stop': SyncStop,
  'redaction-test': RedactionTest,
  restore: Restore,
  'index:rebuild': IndexRebuild,
  search: Search,
  usage: Usage,
};
