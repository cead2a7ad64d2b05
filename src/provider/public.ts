/**
 * `confab-cli/provider`: the provider contract, small enough to load on the hook path.
 * Provider plugins import from here (or from `confab-cli`, which re-exports it).
 */
export * from './contract.js';
export type { DaemonHooks, SyncHooks } from '../extension/daemon-hooks.js';
export type * from '../extension/hook-types.js';
export type * from '../format/wire.js';
export * from './processes.js';
export * from './payload-checks.js';
export * from './hook-commands.js';
export * from './file-edit.js';
export * from './git-remote.js';
export { writeFileAtomic, type AsyncAtomicWriteOptions } from '../fs/private-files.js';
export { isProcessAlive } from '../process/liveness.js';
export { formatRfc3339 } from '../format/rfc3339.js';
export { githubCommands, hasSessionLink, linkShellCommand, mayTouchGithub, prLinkLine, type GithubCommands, type LinkedCommand, type LinkEdit } from '../github/shell-link.js';
export { githubRepoUrl, pullRequestUrlIn } from '../github/urls.js';
export * from './tool-calls.js';
export {
  openDatabase,
  sqliteBackend,
  SqliteUnavailableError,
  type OpenOptions as SqliteOpenOptions,
  type Row as SqliteRow,
  type SqlValue,
  type SqliteDatabase,
} from '../sqlite/database.js';
