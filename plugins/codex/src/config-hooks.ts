import { editAgentFile, readAgentFile, type HookInstallOptions, type HookInstallResult } from 'confab-cli/provider';
import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { configPath as defaultConfigPath } from './codex-dir.js';

/**
 * confab's hooks in Codex's `config.toml`.
 *
 * The file is the user's: it is edited as text, never re-serialized, so everything outside
 * confab's managed block — comments, ordering, formatting — stays byte for byte. The block
 * goes at the end, after exactly one `\n`; the feature flag Codex needs (`[features]
 * hooks = true`) goes inside the block when the file has no `[features]` table, and
 * otherwise into that table on a line marked with a comment that says how to undo it. So
 * removing the hooks gives back the file as it was. smol-toml only checks that the file
 * parses before and after an edit; a file that does not parse is never written.
 *
 * Codex runs a hook only once it is trusted: `[hooks.state."<config>:<event>:<group>:<index>"]
 * trusted_hash = "sha256:<hex>"`, the hash taken over the canonical JSON of the hook as
 * Codex normalizes it. confab writes those entries for its own hooks.
 */

export const BLOCK_START = '# >>> confab codex hooks >>>';
export const BLOCK_END = '# <<< confab codex hooks <<<';
const EDIT_MARK = '# confab codex hooks:';
const ADDED_LINE = `hooks = true ${EDIT_MARK} added`;
const REPLACED_LINE = /^hooks = true # confab codex hooks: replaced ("(?:[^"\\]|\\.)*")$/;
/** Codex's default hook timeout (seconds), part of the trusted identity. */
const HOOK_TIMEOUT_S = 600;

interface ManagedEvent {
  /** The table name in config.toml. */
  table: 'SessionStart' | 'SessionEnd' | 'PreToolUse' | 'PostToolUse';
  /** The name in trust keys and hashes. */
  eventName: string;
  /** The confab hook command. */
  hook: string;
  /** Absent for events Codex matches nothing against (SessionEnd): Codex drops it from the hashed identity. */
  matcher?: string;
  statusMessage: string;
}

// The tool-use hooks carry an explicit empty statusMessage: Codex reads it back as
// Some(""), which is in the hashed identity, so the hash below matches what Codex computes.
export const MANAGED_EVENTS: readonly ManagedEvent[] = [
  { table: 'SessionStart', eventName: 'session_start', hook: 'session-start', matcher: 'startup|resume|clear', statusMessage: 'Starting Confab sync' },
  { table: 'SessionEnd', eventName: 'session_end', hook: 'session-end', statusMessage: '' },
  { table: 'PreToolUse', eventName: 'pre_tool_use', hook: 'pre-tool-use', matcher: 'Bash', statusMessage: '' },
  { table: 'PostToolUse', eventName: 'post_tool_use', hook: 'post-tool-use', matcher: 'Bash', statusMessage: '' },
];

/** A config.toml confab cannot edit safely; the message is one line. */
export class CodexConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodexConfigError';
  }
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseToml(text: string, what: string): Table {
  try {
    return parse(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0]?.trim() ?? 'parse error';
      throw new CodexConfigError(`${what} is not valid TOML (line ${err.line}, column ${err.column}: ${first})`);
    }
    throw err;
  }
}

/** A TOML basic string (control characters and DEL escaped, which JSON leaves raw). */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\u${cp.toString(16).padStart(4, '0').toUpperCase()}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Quote for `sh -c` (Codex runs hook commands through the shell) when needed. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_/.:+@%=,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function hookCommand(executable: string, hook: string): string {
  return `${shellQuote(executable)} hook ${hook} --provider codex`;
}

/**
 * The hash Codex trusts a hook by: SHA-256 over the compact JSON of
 * `{event_name, hooks:[{async, command, statusMessage, timeout, type}], matcher?}` with keys
 * sorted, as Rust's serde_json writes it (no HTML escaping). An event without a matcher has
 * no `matcher` key.
 */
export function trustedHash(eventName: string, matcher: string | undefined, command: string, statusMessage: string): string {
  const identity = {
    event_name: eventName,
    hooks: [{ async: false, command, statusMessage, timeout: HOOK_TIMEOUT_S, type: 'command' }],
    ...(matcher === undefined ? {} : { matcher }),
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(identity), 'utf8').digest('hex')}`;
}

/** `text` as lines, each with its `\n` (the last may have none). */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** A line without its terminator (`\n`, and the `\r` of a CRLF file). */
function body(line: string): { content: string; end: string } {
  const m = /\r?\n$/.exec(line);
  return m ? { content: line.slice(0, m.index), end: m[0] } : { content: line, end: '' };
}

function findBlock(text: string): { start: number; end: number } | undefined {
  let start = 0;
  if (!text.startsWith(BLOCK_START)) {
    const nl = text.indexOf(`\n${BLOCK_START}`);
    if (nl === -1) return undefined;
    start = nl + 1;
  }
  const endMarker = text.indexOf(BLOCK_END, start);
  if (endMarker === -1) throw new CodexConfigError(`config.toml has "${BLOCK_START}" without "${BLOCK_END}"; repair or remove the confab block by hand`);
  let end = endMarker + BLOCK_END.length;
  const after = /^\r?\n/.exec(text.slice(end));
  if (after) end += after[0].length;
  return { start, end };
}

/** Undo confab's feature-flag edits outside the block (see the module comment). */
function undoFeatureEdits(text: string): string {
  const lines = splitLines(text);
  const out: string[] = [];
  for (const line of lines) {
    const { content, end } = body(line);
    if (content === ADDED_LINE) {
      // Inserted after "[features]\n", or, when that header ended the file, as "\n" + line.
      if (end === '' && out.length > 0) out[out.length - 1] = (out[out.length - 1] as string).replace(/\r?\n$/, '');
      continue;
    }
    const replaced = REPLACED_LINE.exec(content);
    if (replaced) {
      let original: unknown;
      try {
        original = JSON.parse(replaced[1] as string);
      } catch {
        original = undefined;
      }
      if (typeof original === 'string') {
        out.push(original + end);
        continue;
      }
    }
    out.push(line);
  }
  return out.join('');
}

/** `text` without anything confab added: the managed block (and the `\n` before it) and the feature edits. */
export function removeConfabHooks(text: string): string {
  let out = text;
  const block = findBlock(out);
  if (block) {
    const start = block.start > 0 && out[block.start - 1] === '\n' ? block.start - 1 : block.start;
    out = out.slice(0, start) + out.slice(block.end);
  }
  return undoFeatureEdits(out);
}

const FEATURES_HEADER = /^\s*\[\s*features\s*\]\s*(#.*)?$/;
const TABLE_HEADER = /^\s*\[/;
const HOOKS_KEY = /^\s*hooks\s*=/;

/**
 * Make `features.hooks` true in `text` (which holds no confab edits). Returns the new text,
 * or `inBlock: true` when the file has no features table and the block must carry one.
 */
function enableHooksFeature(text: string, parsed: Table): { text: string; inBlock: boolean } {
  const features = parsed.features;
  if (isTable(features) && features.hooks === true) return { text, inBlock: false };
  if (features === undefined) return { text, inBlock: true };
  const lines = splitLines(text);
  const header = lines.findIndex((l) => FEATURES_HEADER.test(body(l).content));
  if (!isTable(features) || header === -1) {
    throw new CodexConfigError('config.toml defines "features" without a [features] table; set features.hooks = true there yourself');
  }
  let sectionEnd = lines.length;
  for (let i = header + 1; i < lines.length; i++) {
    if (TABLE_HEADER.test(body(lines[i] as string).content)) {
      sectionEnd = i;
      break;
    }
  }
  if ('hooks' in features) {
    for (let i = header + 1; i < sectionEnd; i++) {
      const { content, end } = body(lines[i] as string);
      if (HOOKS_KEY.test(content)) {
        lines[i] = `hooks = true ${EDIT_MARK} replaced ${JSON.stringify(content)}${end}`;
        return { text: lines.join(''), inBlock: false };
      }
    }
    throw new CodexConfigError('config.toml sets features.hooks in a form confab cannot edit; set it to true yourself');
  }
  const headerLine = lines[header] as string;
  if (body(headerLine).end === '') lines[header] = `${headerLine}\n${ADDED_LINE}`;
  else lines.splice(header + 1, 0, `${ADDED_LINE}${body(headerLine).end}`);
  return { text: lines.join(''), inBlock: false };
}

function groupCount(parsed: Table, table: string): number {
  const hooks = parsed.hooks;
  if (!isTable(hooks)) return 0;
  const groups = hooks[table];
  return Array.isArray(groups) ? groups.length : 0;
}

function hasState(parsed: Table, key: string): boolean {
  const hooks = parsed.hooks;
  return isTable(hooks) && isTable(hooks.state) && key in hooks.state;
}

/** The managed block for `executable`, given the file it will be appended to (parsed). */
function renderBlock(parsed: Table, configFile: string, executable: string, withFeatures: boolean): string {
  const parts: string[] = [BLOCK_START];
  if (withFeatures) parts.push('[features]', 'hooks = true', '');
  const state: string[] = [];
  for (const ev of MANAGED_EVENTS) {
    const command = hookCommand(executable, ev.hook);
    parts.push(
      `[[hooks.${ev.table}]]`,
      ...(ev.matcher === undefined ? [] : [`matcher = ${tomlString(ev.matcher)}`]),
      `[[hooks.${ev.table}.hooks]]`,
      'type = "command"',
      `command = ${tomlString(command)}`,
      `statusMessage = ${tomlString(ev.statusMessage)}`,
      '',
    );
    const key = `${configFile}:${ev.eventName}:${groupCount(parsed, ev.table)}:0`;
    // Codex may already hold state for this position (e.g. the user disabled it): keep theirs.
    if (!hasState(parsed, key)) state.push(`[hooks.state.${tomlString(key)}]`, `trusted_hash = ${tomlString(trustedHash(ev.eventName, ev.matcher, command, ev.statusMessage))}`, '');
  }
  parts.push(...state, BLOCK_END);
  return `${parts.join('\n')}\n`;
}

/** Does `parsed` run `confab hook <event> --provider codex` for every managed event? */
function hooksPresent(parsed: Table): boolean {
  const hooks = parsed.hooks;
  if (!isTable(hooks)) return false;
  return MANAGED_EVENTS.every((ev) => {
    const groups = hooks[ev.table];
    if (!Array.isArray(groups)) return false;
    return groups.some(
      (g) =>
        isTable(g) &&
        Array.isArray(g.hooks) &&
        g.hooks.some((h) => isTable(h) && h.type === 'command' && typeof h.command === 'string' && h.command.includes(` hook ${ev.hook} `) && h.command.includes('--provider codex')),
    );
  });
}

/** Are confab's hooks in this config.toml text, with the hooks feature on? */
export function confabHooksInstalled(text: string): boolean {
  let parsed: Table;
  try {
    parsed = parse(text) as Table;
  } catch {
    return false;
  }
  return isTable(parsed.features) && parsed.features.hooks === true && hooksPresent(parsed);
}

/**
 * `text` with confab's hooks for `executable`, replacing any earlier confab edits.
 * `configFile` is the path Codex knows the file by (it is part of the trust keys).
 * Throws `CodexConfigError` when `text` does not parse or the result would not.
 */
export function addConfabHooks(text: string, configFile: string, executable: string): string {
  parseToml(text, 'config.toml');
  const base = removeConfabHooks(text);
  const featured = enableHooksFeature(base, parseToml(base, 'config.toml'));
  const parsed = parseToml(featured.text, 'config.toml');
  const block = renderBlock(parsed, configFile, executable, featured.inBlock);
  const result = featured.text === '' ? block : `${featured.text}\n${block}`;
  let check: Table;
  try {
    check = parse(result) as Table;
  } catch (err) {
    const detail = err instanceof TomlError ? `line ${err.line}: ${err.message.split('\n')[0]}` : String(err);
    throw new CodexConfigError(`adding confab's hooks would make config.toml invalid (${detail}); is [hooks] written as inline tables?`);
  }
  if (!hooksPresent(check) || !isTable(check.features) || check.features.hooks !== true) {
    throw new CodexConfigError("config.toml's [hooks] or [features] are laid out in a way confab cannot extend; add the hooks by hand");
  }
  return result;
}

// ── files ────────────────────────────────────────────────────────────────────────────

/**
 * Read, transform, write atomically (0600), following a symlinked file. If the file changed
 * while confab was working on it (Codex writes hook trust state there too), start over rather
 * than lose that write.
 */
async function editConfig(path: string, transform: (text: string) => string, createIfMissing: boolean): Promise<HookInstallResult> {
  if (!isAbsolute(path)) throw new CodexConfigError(`Codex config path must be absolute: ${path}`);
  try {
    return await editAgentFile(path, (before) => (before === undefined && !createIfMissing ? undefined : transform(before ?? '')));
  } catch (err) {
    if (err instanceof CodexConfigError) throw err;
    throw new CodexConfigError(err instanceof Error ? err.message : String(err));
  }
}

function configFileOf(opts?: { configDir?: string }): string {
  return defaultConfigPath(opts?.configDir);
}

export async function installCodexHooks(opts: HookInstallOptions): Promise<HookInstallResult> {
  if (!opts.command || !isAbsolute(opts.command)) throw new CodexConfigError('the confab command for Codex hooks must be an absolute path');
  const file = configFileOf(opts);
  return editConfig(file, (text) => addConfabHooks(text, file, opts.command), true);
}

export async function uninstallCodexHooks(opts: Omit<HookInstallOptions, 'command'> = {}): Promise<HookInstallResult> {
  const file = configFileOf(opts);
  return editConfig(
    file,
    (text) => {
      parseToml(text, 'config.toml');
      return removeConfabHooks(text);
    },
    false,
  );
}

/** The command lines of the hooks in confab's managed block of this config.toml text. */
export function confabHookCommands(text: string): string[] {
  let parsed: Table;
  try {
    const block = findBlock(text);
    if (!block) return [];
    parsed = parse(text.slice(block.start, block.end)) as Table;
  } catch {
    return [];
  }
  const hooks = parsed.hooks;
  if (!isTable(hooks)) return [];
  return MANAGED_EVENTS.flatMap((ev) => {
    const groups = hooks[ev.table];
    if (!Array.isArray(groups)) return [];
    return groups.flatMap((g) =>
      isTable(g) && Array.isArray(g.hooks) ? g.hooks.filter((h): h is Table => isTable(h) && typeof h.command === 'string').map((h) => h.command as string) : [],
    );
  });
}

export async function codexHookCommands(opts: Omit<HookInstallOptions, 'command'> = {}): Promise<string[]> {
  const text = await readAgentFile(configFileOf(opts));
  return text === undefined ? [] : confabHookCommands(text);
}

export async function codexHooksInstalled(opts: Omit<HookInstallOptions, 'command'> = {}): Promise<boolean> {
  const text = await readAgentFile(configFileOf(opts));
  return text !== undefined && confabHooksInstalled(text);
}
