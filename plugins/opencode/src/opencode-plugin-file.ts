import { rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { editAgentFile, readAgentFile, type HookInstallOptions, type HookInstallResult } from 'confab-cli/provider';
import { opencodeConfigDir } from './opencode-paths.js';

/**
 * OpenCode has no hook config: it loads every `.ts`/`.js` file of `<config>/plugins/`. confab
 * installs one file there, `confab-sync.ts`, which runs `confab hook session-start` when a
 * session is created or becomes active again, and `confab hook session-end` for each session
 * it started when OpenCode unloads it. Installing writes only that file; removing deletes
 * only it: nothing else of OpenCode's config is touched.
 */
export const PLUGIN_FILE_NAME = 'confab-sync.ts';

export function pluginFilePath(configDir = opencodeConfigDir()): string {
  return join(configDir, 'plugins', PLUGIN_FILE_NAME);
}

/** The plugin's source, calling confab at `command` (an absolute path: no dependence on PATH). */
export function pluginSource(command: string): string {
  return `// Installed by confab (\`confab hooks add --provider opencode\`); \`confab hooks remove --provider opencode\` deletes it.
// Starts a confab sync for each OpenCode session and ends it when OpenCode unloads the session.
import type { Plugin } from "@opencode-ai/plugin"

const CONFAB = ${JSON.stringify(command)}
const MAX_DAEMONS = 32
// Events that mean a session is active (session.created does not fire when a session is resumed).
const RECONCILE = new Set(["session.status", "session.updated", "session.compacted", "session.error"])

export const ConfabSync: Plugin = async ({ $ }) => {
  const running = new Set<string>()

  const spawn = async (id: string, directory: string, parentID: string | undefined) => {
    if (running.has(id)) return
    if (running.size >= MAX_DAEMONS) {
      console.error(\`confab: \${MAX_DAEMONS} sessions already synced by this OpenCode; not syncing \${id}\`)
      return
    }
    running.add(id)
    const payload: Record<string, unknown> = { session_id: id, cwd: directory, parent_pid: process.pid }
    if (parentID) payload.parent_id = parentID
    try {
      await $\`echo \${JSON.stringify(payload)} | \${CONFAB} hook session-start --provider opencode\`.quiet()
    } catch (err) {
      running.delete(id) // retried on the session's next event
      console.error(\`confab: session-start failed: \${err}\`)
    }
  }

  return {
    event: async ({ event }) => {
      const e = event as { type: string; properties?: Record<string, any> }
      if (e.type === "session.created") {
        const info = e.properties?.info ?? {}
        if (typeof info.id === "string") await spawn(info.id, String(info.directory ?? ""), info.parentID)
        return
      }
      if (!RECONCILE.has(e.type)) return
      const id = e.properties?.sessionID ?? e.properties?.info?.id
      if (typeof id === "string") await spawn(id, "", e.properties?.info?.parentID)
    },
    dispose: async () => {
      for (const id of running) {
        try {
          await $\`echo \${JSON.stringify({ session_id: id })} | \${CONFAB} hook session-end --provider opencode\`.quiet()
        } catch (err) {
          console.error(\`confab: session-end failed: \${err}\`)
        }
      }
    },
  }
}
`;
}

const CONFAB_LINE = /^const CONFAB = ("(?:[^"\\]|\\.)*")$/m;

export async function installPluginFile(opts: HookInstallOptions): Promise<HookInstallResult> {
  // Written beside and renamed (OpenCode never loads half a file), through a symlinked file.
  return editAgentFile(pluginFilePath(opts.configDir), () => pluginSource(opts.command));
}

export async function uninstallPluginFile(opts: { configDir?: string }): Promise<HookInstallResult> {
  const path = pluginFilePath(opts.configDir);
  const result = await editAgentFile(path, () => null);
  // The plugins dir confab created for its file goes with it; one holding anything else stays.
  if (result.changed) await rmdir(dirname(path)).catch(() => {});
  return result;
}

export async function pluginFileInstalled(opts: { configDir?: string } = {}): Promise<boolean> {
  return (await readAgentFile(pluginFilePath(opts.configDir))) !== undefined;
}

/** The hook commands the installed plugin runs (so `confab status` can check the program still exists). */
export async function pluginCommands(opts: { configDir?: string } = {}): Promise<string[]> {
  const text = await readAgentFile(pluginFilePath(opts.configDir));
  const m = text === undefined ? null : CONFAB_LINE.exec(text);
  if (!m?.[1]) return [];
  const program = JSON.parse(m[1]) as string;
  const quoted = /[\s'"\\]/.test(program) ? `'${program.replace(/'/g, `'\\''`)}'` : program;
  return ['session-start', 'session-end'].map((event) => `${quoted} hook ${event} --provider opencode`);
}
