/**
 * `@confab/plugin-opencode`: the OpenCode provider.
 *
 * OpenCode keeps its sessions in a SQLite database, not in files. Its daemon writes each
 * finished message as one line `{"info","parts"}` into `~/.confab/opencode/<session>/messages.jsonl`
 * (child sessions under `children/<child>/`) in the daemon's `refresh` hook, and follows
 * those files as it follows any agent's transcript. The hook fast path inlines this module:
 * only payload validation lives here; the database and the rest load on first use.
 */
import { defineProvider, type HookEvent, type HookInstallOptions, type ProviderApplyContext } from 'confab-cli/provider';
import type { OpencodeDaemonTaps } from './daemon-taps.js';
import { parseHookInput } from './hook-payload.js';

export { parseHookInput, parseOpencodeHookPayload, type OpencodeHookPayload } from './hook-payload.js';
export { opencodeDbPath, opencodeConfigDir, materializedPath, OPENCODE_DB_ENV, OPENCODE_CONFIG_DIR_ENV } from './opencode-paths.js';

const NAME = 'opencode';

/** What confab's OpenCode plugin runs: session start (on creation and on activity) and session end (on unload). */
export const OPENCODE_EVENTS: readonly HookEvent[] = ['session-start', 'session-end'];

function applyOpencode(ctx: ProviderApplyContext): void {
  let taps: Promise<OpencodeDaemonTaps> | undefined;
  const load = (): Promise<OpencodeDaemonTaps> => (taps ??= import('./daemon-taps.js').then((m) => new m.OpencodeDaemonTaps()));
  ctx.hooks.refresh.tapPromise(NAME, async (session) => (await load()).refresh(session));
  ctx.hooks.discoverFiles.tapPromise(NAME, async (files, discoverCtx) => (await load()).discoverFiles(files, discoverCtx));
  ctx.hooks.chunk.tapPromise(NAME, async (req, chunkCtx) => (await load()).chunk(req, chunkCtx));
}

export const opencode = defineProvider({
  name: NAME,
  displayName: 'OpenCode',
  events: OPENCODE_EVENTS,
  // The transcript is written from the database once a message is finished, which may be
  // long after the session starts: wait for it as long as OpenCode runs.
  transcriptWait: 'while-agent-runs',

  parseHookInput,
  // OpenCode's plugin reads nothing back from the hook.
  hookResponse: () => ({}),

  async resolveRoot(input) {
    return (await import('./resolve-session.js')).completeFromDb(input);
  },

  async shouldSpawn(input) {
    return (await import('./resolve-session.js')).isRootSession(input);
  },

  async findParentPid() {
    return (await import('./parent-process.js')).findOpencodeParentPid();
  },

  apply: applyOpencode,

  async detect() {
    return (await import('./detect.js')).detectOpencode();
  },

  hooks: {
    async install(opts: HookInstallOptions) {
      return (await import('./opencode-plugin-file.js')).installPluginFile(opts);
    },
    async uninstall(opts: Omit<HookInstallOptions, 'command'>) {
      return (await import('./opencode-plugin-file.js')).uninstallPluginFile(opts);
    },
    async isInstalled(opts?: Omit<HookInstallOptions, 'command'>) {
      return (await import('./opencode-plugin-file.js')).pluginFileInstalled(opts);
    },
    async installedCommands(opts?: Omit<HookInstallOptions, 'command'>) {
      return (await import('./opencode-plugin-file.js')).pluginCommands(opts);
    },
  },

  sessions: {
    async scan(opts) {
      return (await import('./session-scan.js')).scanOpencodeSessions(opts);
    },
  },
});

export default opencode;
