import { commandProgram, type HookInstallOptions, type HookInstallResult, type HookInstaller } from 'confab-cli/provider';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { settingsPath } from './claude-dir.js';
import { JsonFileError, readJsonObject, updateJsonFile, type JsonFileUpdateOptions, type JsonObject } from './json-file-update.js';

/**
 * confab's entries in Claude Code's `settings.json`, exactly as the Go CLI writes them:
 *
 * ```json
 * {"hooks": {
 *   "PostToolUse": [{"hooks": [{"command": "<bin> hook post-tool-use", "type": "command"}], "matcher": "Bash"},
 *                   {"hooks": [...same...], "matcher": "mcp__github__create_pull_request"}],
 *   "PreToolUse":  [...the same two groups with "<bin> hook pre-tool-use"...],
 *   "SessionEnd":  [{"hooks": [{"command": "<bin> hook session-end --provider claude-code", ...}], "matcher": "*"}],
 *   "SessionStart":[{"hooks": [{"command": "<bin> hook session-start --provider claude-code", ...}], "matcher": "*"}],
 *   "UserPromptSubmit": [{"hooks": [{"command": "<bin> hook user-prompt-submit", "type": "command"}]}]}}
 * ```
 *
 * Everything else in the file is kept, in its order (the Go CLI re-sorted keys; keeping the
 * user's order makes `hooks add` then `hooks remove` a no-op on the file).
 */

export type ClaudeHookEventName = 'SessionStart' | 'SessionEnd' | 'UserPromptSubmit' | 'PreToolUse' | 'PostToolUse';

interface HookSpec {
  event: ClaudeHookEventName;
  /** Undefined: the group has no `matcher` key at all. */
  matcher?: string;
  args: string;
}

export const CONFAB_HOOK_SPECS: readonly HookSpec[] = [
  { event: 'PostToolUse', matcher: 'Bash', args: 'hook post-tool-use' },
  { event: 'PostToolUse', matcher: 'mcp__github__create_pull_request', args: 'hook post-tool-use' },
  { event: 'PreToolUse', matcher: 'Bash', args: 'hook pre-tool-use' },
  { event: 'PreToolUse', matcher: 'mcp__github__create_pull_request', args: 'hook pre-tool-use' },
  { event: 'SessionEnd', matcher: '*', args: 'hook session-end --provider claude-code' },
  { event: 'SessionStart', matcher: '*', args: 'hook session-start --provider claude-code' },
  { event: 'UserPromptSubmit', args: 'hook user-prompt-submit' },
];

const EVENTS: readonly ClaudeHookEventName[] = ['PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'UserPromptSubmit'];

/** What `isInstalled` looks for in each event (any of the substrings, in a confab command). */
const INSTALLED_MARKERS: Record<ClaudeHookEventName, readonly string[]> = {
  SessionStart: ['sync start', 'hook session-start'],
  SessionEnd: ['sync stop', 'hook session-end'],
  PreToolUse: ['hook pre-tool-use'],
  PostToolUse: ['hook post-tool-use'],
  UserPromptSubmit: ['hook user-prompt-submit'],
};

// Older confab entries that uninstall also removes from SessionStart/SessionEnd.
const SESSION_COMMAND = /sync start|sync stop|hook session-start|hook session-end/;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Quote a path for the shell Claude Code runs hooks with, when it needs quoting. */
export function shellQuote(path: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(path)) return path;
  return `'${path.replace(/'/g, `'\\''`)}'`;
}

/** The first word of a shell command line, unquoted (the program a hook command runs). */
export const firstToken = commandProgram;

const packageDirCache = new Map<string, boolean>();

/** Is `dir` confab's npm package (or a checkout of it)? */
function isConfabPackageDir(dir: string): boolean {
  if (basename(dir) === 'confab' || basename(dir) === 'confab-cli') return true;
  let known = packageDirCache.get(dir);
  if (known === undefined) {
    try {
      const name = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name;
      known = name === 'confab-cli' || name === 'confab';
    } catch {
      known = false;
    }
    packageDirCache.set(dir, known);
  }
  return known;
}

/**
 * Is this hook command confab's? Its program is named `confab`, or is `bin/run.js` of the
 * confab package (an npm install whose link was resolved), or is the program the caller is
 * installing.
 */
export function isConfabCommand(command: string, ownCommand?: string): boolean {
  const program = firstToken(command);
  if (program === '') return false;
  if (basename(program) === 'confab') return true;
  if (program.endsWith('/bin/run.js') && isConfabPackageDir(dirname(dirname(program)))) return true;
  return ownCommand !== undefined && ownCommand !== '' && program === ownCommand;
}

function hookCommand(entry: unknown): string | undefined {
  return isObject(entry) && entry.type === 'command' && typeof entry.command === 'string' ? entry.command : undefined;
}

/** The command line confab installs for a spec. */
export function commandFor(spec: HookSpec, program: string): string {
  return `${shellQuote(program)} ${spec.args}`;
}

function hooksObject(settings: JsonObject, path: string, create: boolean): JsonObject | undefined {
  const hooks = settings.hooks;
  if (hooks === undefined) {
    if (!create) return undefined;
    const fresh: JsonObject = {};
    settings.hooks = fresh;
    return fresh;
  }
  if (!isObject(hooks)) throw new JsonFileError(`"hooks" in ${path} is not an object; fix it by hand, confab left the file unchanged`);
  return hooks;
}

function eventGroups(hooks: JsonObject, event: ClaudeHookEventName, path: string): unknown[] | undefined {
  const groups = hooks[event];
  if (groups === undefined) return undefined;
  if (!Array.isArray(groups)) throw new JsonFileError(`"hooks.${event}" in ${path} is not a list; fix it by hand, confab left the file unchanged`);
  return groups;
}

function groupMatches(group: unknown, matcher: string | undefined): group is JsonObject & { hooks: unknown[] } {
  if (!isObject(group) || !Array.isArray(group.hooks)) return false;
  return matcher === undefined ? !('matcher' in group) : group.matcher === matcher;
}

/** Add or update confab's hooks in a parsed settings object. Returns whether it changed. */
export function installIntoSettings(settings: JsonObject, program: string, path = 'settings.json'): boolean {
  const hooks = hooksObject(settings, path, true) as JsonObject;
  let changed = false;
  for (const spec of CONFAB_HOOK_SPECS) {
    const command = commandFor(spec, program);
    let groups = eventGroups(hooks, spec.event, path);
    if (!groups) {
      groups = [];
      hooks[spec.event] = groups;
    }
    const group = groups.find((g) => groupMatches(g, spec.matcher));
    if (!group) {
      const hook = { command, type: 'command' };
      groups.push(spec.matcher === undefined ? { hooks: [hook] } : { hooks: [hook], matcher: spec.matcher });
      changed = true;
      continue;
    }
    const existing = group.hooks.find((h) => {
      const cmd = hookCommand(h);
      return cmd !== undefined && isConfabCommand(cmd, program);
    }) as JsonObject | undefined;
    if (!existing) {
      group.hooks.push({ command, type: 'command' });
      changed = true;
    } else if (existing.command !== command) {
      // Updated in place: a `timeout` or other keys the user set on it survive.
      existing.command = command;
      changed = true;
    }
  }
  return changed;
}

function isRemovable(event: ClaudeHookEventName, command: string, program: string | undefined): boolean {
  if (isConfabCommand(command, program)) return true;
  // Older installs wrote variants (`env … confab sync start`); match those only when they
  // name confab, so a user's own `… hook session-start` survives.
  return (event === 'SessionStart' || event === 'SessionEnd') && /\bconfab\b/.test(command) && SESSION_COMMAND.test(command);
}

/** Remove confab's hooks from a parsed settings object, keeping every other hook. */
export function uninstallFromSettings(settings: JsonObject, path = 'settings.json', program?: string): boolean {
  const hooks = hooksObject(settings, path, false);
  if (!hooks) return false;
  let changed = false;
  for (const event of EVENTS) {
    const groups = eventGroups(hooks, event, path);
    if (!groups) continue;
    let eventChanged = false;
    for (let i = groups.length - 1; i >= 0; i--) {
      const group = groups[i];
      if (!isObject(group) || !Array.isArray(group.hooks)) continue;
      const kept = group.hooks.filter((h) => {
        const cmd = hookCommand(h);
        return cmd === undefined || !isRemovable(event, cmd, program);
      });
      if (kept.length === group.hooks.length) continue;
      eventChanged = true;
      if (kept.length === 0) groups.splice(i, 1);
      else group.hooks = kept;
    }
    if (eventChanged) {
      changed = true;
      if (groups.length === 0) delete hooks[event];
    }
  }
  if (changed && Object.keys(hooks).length === 0) delete settings.hooks;
  return changed;
}

/** Are all of confab's hooks present (SessionStart, SessionEnd, Pre/PostToolUse, UserPromptSubmit)? */
export function settingsHaveConfabHooks(settings: JsonObject): boolean {
  const hooks = settings.hooks;
  if (!isObject(hooks)) return false;
  return EVENTS.every((event) => {
    const groups = hooks[event];
    if (!Array.isArray(groups)) return false;
    return groups.some(
      (g) =>
        isObject(g) &&
        Array.isArray(g.hooks) &&
        g.hooks.some((h) => {
          const cmd = hookCommand(h);
          return cmd !== undefined && isConfabCommand(cmd) && INSTALLED_MARKERS[event].some((m) => cmd.includes(m));
        }),
    );
  });
}

export interface SettingsEditOptions extends JsonFileUpdateOptions {
  configDir?: string;
}

export async function installHooks(opts: HookInstallOptions & JsonFileUpdateOptions): Promise<HookInstallResult> {
  if (!opts.command) throw new JsonFileError('no confab command to install');
  const path = settingsPath(opts.configDir);
  const { changed } = await updateJsonFile(path, (settings) => installIntoSettings(settings, opts.command, path), opts);
  return { path, changed };
}

export async function uninstallHooks(opts: SettingsEditOptions & { command?: string } = {}): Promise<HookInstallResult> {
  const path = settingsPath(opts.configDir);
  // Nothing to remove: touch nothing (not even the directory or a lock file).
  if (!uninstallFromSettings(await readJsonObject(path), path, opts.command)) return { path, changed: false };
  const { changed } = await updateJsonFile(path, (settings) => uninstallFromSettings(settings, path, opts.command), opts);
  return { path, changed };
}

export async function hooksInstalled(opts: { configDir?: string } = {}): Promise<boolean> {
  return settingsHaveConfabHooks(await readJsonObject(settingsPath(opts.configDir)));
}

/** Every confab hook command in the settings (whatever program it runs). */
export function confabCommandsInSettings(settings: JsonObject): string[] {
  const hooks = settings.hooks;
  if (!isObject(hooks)) return [];
  const found: string[] = [];
  for (const event of EVENTS) {
    const groups = hooks[event];
    if (!Array.isArray(groups)) continue;
    for (const g of groups) {
      if (!isObject(g) || !Array.isArray(g.hooks)) continue;
      for (const h of g.hooks) {
        const cmd = hookCommand(h);
        if (cmd !== undefined && isRemovable(event, cmd, undefined)) found.push(cmd);
      }
    }
  }
  return found;
}

export async function installedHookCommands(opts: { configDir?: string } = {}): Promise<string[]> {
  return confabCommandsInSettings(await readJsonObject(settingsPath(opts.configDir)));
}

export const claudeSettingsHooks: HookInstaller = {
  install: installHooks,
  uninstall: uninstallHooks,
  isInstalled: hooksInstalled,
  installedCommands: installedHookCommands,
};
