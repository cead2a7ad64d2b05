import { editAgentFile, readAgentFile, type HookInstallOptions, type HookInstallResult } from 'confab-cli/provider';
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { isAbsolute } from 'node:path';
import { hooksPath } from './cursor-dir.js';

/**
 * confab's hooks in Cursor's user-level `hooks.json`:
 *
 * ```json
 * {"version": 1, "hooks": {"sessionStart": [{"command": "<confab> hook session-start --provider cursor", "type": "command"}], …}}
 * ```
 *
 * The file is the user's, so it is edited as text: confab's entries are inserted into (and
 * later removed from) the arrays where they belong, and nothing else is rewritten — key
 * order, indentation, the user's own hooks and unknown keys stay byte for byte, and removing
 * the hooks gives back the file as it was. A file that is not valid JSON is never written.
 */

export interface ManagedHook {
  event: 'sessionStart' | 'sessionEnd' | 'preToolUse' | 'postToolUse';
  hook: string;
  matcher?: string;
}

/** No `stop` hook: Cursor fires it after every turn. The tool hooks only see the Shell tool. */
export const MANAGED_HOOKS: readonly ManagedHook[] = [
  { event: 'sessionStart', hook: 'session-start' },
  { event: 'sessionEnd', hook: 'session-end' },
  { event: 'preToolUse', hook: 'pre-tool-use', matcher: 'Shell' },
  { event: 'postToolUse', hook: 'post-tool-use', matcher: 'Shell' },
];

/** A hooks.json confab cannot edit safely; the message is one line. */
export class CursorHooksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CursorHooksError';
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Quote for the shell Cursor runs hook commands with, when needed. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_/.:+@%=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function cursorHookCommand(executable: string, hook: string): string {
  return `${shellWord(executable)} hook ${hook} --provider cursor`;
}

/** One of confab's entries (the Go CLI's rule, so its installs are recognized too). */
export function isConfabEntry(entry: unknown): boolean {
  return isObject(entry) && entry.type === 'command' && typeof entry.command === 'string' && entry.command.includes(' hook ') && entry.command.includes('--provider cursor');
}

function hookEntry(command: string, m: ManagedHook): JsonObject {
  return m.matcher ? { command, type: 'command', matcher: m.matcher } : { command, type: 'command' };
}

/** Parse hooks.json text; blank is `{}`. */
export function parseHooksJson(text: string | undefined, path = 'hooks.json'): JsonObject {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CursorHooksError(`${path} is not valid JSON (${(err as Error).message}); fix or remove it, confab left it alone`);
  }
  if (!isObject(value)) throw new CursorHooksError(`${path} must hold a JSON object; confab left it alone`);
  if (value.hooks !== undefined && !isObject(value.hooks)) throw new CursorHooksError(`${path}: "hooks" must be an object; confab left it alone`);
  return value;
}

function eventArray(doc: JsonObject, event: string, path: string): unknown[] | undefined {
  const hooks = doc.hooks as JsonObject | undefined;
  const list = hooks?.[event];
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw new CursorHooksError(`${path}: "hooks.${event}" must be an array; confab left it alone`);
  return list;
}

/** What a new hooks.json holds: sorted keys, 2-space indent, final newline (as the Go CLI writes it). */
function newFile(command: string): string {
  const hooks: JsonObject = {};
  for (const m of [...MANAGED_HOOKS].sort((a, b) => a.event.localeCompare(b.event))) hooks[m.event] = [hookEntry(cursorHookCommand(command, m.hook), m)];
  return `${JSON.stringify({ hooks, version: 1 }, null, 2)}\n`;
}

function splice(text: string, from: number, to: number, insert = ''): string {
  return text.slice(0, from) + insert + text.slice(to);
}

function nodeEnd(node: Node): number {
  return node.offset + node.length;
}

/**
 * The separator to put before a new member of an object or array: `,` plus the whitespace
 * the container already puts before its first member (a space when it has none).
 */
function separator(text: string, container: Node): string {
  const first = container.children?.[0];
  const gap = first ? text.slice(container.offset + 1, first.offset) : '';
  return `,${/^\s+$/.test(gap) ? gap : ' '}`;
}

/** Add a member at the end of an object (`"key": value`) or array (`value`). */
function appendMember(text: string, container: Node, member: string): string {
  const last = container.children?.at(-1);
  if (!last) return splice(text, container.offset + 1, container.offset + 1, member);
  return splice(text, nodeEnd(last), nodeEnd(last), separator(text, container) + member);
}

/** Remove a member of an object or array with the separator `appendMember` added. */
function removeMember(text: string, container: Node, index: number): string {
  const members = container.children ?? [];
  const member = members[index] as Node;
  if (members.length === 1) return splice(text, member.offset, nodeEnd(member));
  if (index > 0) return splice(text, nodeEnd(members[index - 1] as Node), nodeEnd(member));
  return splice(text, member.offset, (members[1] as Node).offset);
}

function tree(text: string, path: string): Node {
  parseHooksJson(text, path);
  const root = parseTree(text);
  if (!root) throw new CursorHooksError(`${path} is not valid JSON; confab left it alone`);
  return root;
}

function propertyIndex(object: Node, key: string): number {
  return (object.children ?? []).findIndex((p) => p.children?.[0]?.value === key);
}

/**
 * hooks.json text with confab's hooks: each event gets confab's entry at the end of its
 * array, an outdated confab entry (another executable) is replaced in place, `version: 1`
 * is added when missing (Cursor ignores a file without it). Every edit is a splice, so the
 * rest of the text is untouched.
 */
export function addConfabHooks(text: string | undefined, command: string, path = 'hooks.json'): string {
  if (text === undefined || text.trim() === '') return newFile(command);
  let out = text;
  if (parseHooksJson(out, path).hooks === undefined) out = appendMember(out, tree(out, path), '"hooks": {}');
  for (const m of MANAGED_HOOKS) {
    const entry = JSON.stringify(hookEntry(cursorHookCommand(command, m.hook), m));
    const list = eventArray(parseHooksJson(out, path), m.event, path);
    const root = tree(out, path);
    if (list === undefined) {
      out = appendMember(out, findNodeAtLocation(root, ['hooks']) as Node, `${JSON.stringify(m.event)}: [${entry}]`);
      continue;
    }
    const at = list.findIndex(isConfabEntry);
    const array = findNodeAtLocation(root, ['hooks', m.event]) as Node;
    if (at === -1) out = appendMember(out, array, entry);
    else if (JSON.stringify(list[at]) !== entry) {
      const old = array.children?.[at] as Node;
      out = splice(out, old.offset, nodeEnd(old), entry);
    }
  }
  if (parseHooksJson(out, path).version === undefined) out = appendMember(out, tree(out, path), '"version": 1');
  return out;
}

/**
 * hooks.json text without confab's entries. An event array (and the `hooks` object) left
 * empty by the removal goes too; a file left holding only what confab writes into a new
 * file is deleted (`null`).
 */
export function removeConfabHooks(text: string, path = 'hooks.json'): string | null {
  let out = text;
  let removed = false;
  for (const m of [...MANAGED_HOOKS].reverse()) {
    for (;;) {
      const list = eventArray(parseHooksJson(out, path), m.event, path);
      const at = list?.findLastIndex(isConfabEntry) ?? -1;
      if (at === -1) break;
      const root = tree(out, path);
      const hooks = findNodeAtLocation(root, ['hooks']) as Node;
      out = list?.length === 1 ? removeMember(out, hooks, propertyIndex(hooks, m.event)) : removeMember(out, findNodeAtLocation(root, ['hooks', m.event]) as Node, at);
      removed = true;
    }
  }
  if (!removed) return text;
  const doc = parseHooksJson(out, path);
  if (isObject(doc.hooks) && Object.keys(doc.hooks).length === 0) {
    if (Object.keys(doc).length === 2 && doc.version === 1) return null;
    const root = tree(out, path);
    out = removeMember(out, root, propertyIndex(root, 'hooks'));
  }
  return out;
}

/** Is every one of confab's hooks there (a legacy install with only the session events is not)? */
export function confabHooksInstalled(doc: JsonObject): boolean {
  const hooks = isObject(doc.hooks) ? doc.hooks : {};
  return MANAGED_HOOKS.every((m) => Array.isArray(hooks[m.event]) && (hooks[m.event] as unknown[]).some(isConfabEntry));
}

export function confabHookCommands(doc: JsonObject): string[] {
  const hooks = isObject(doc.hooks) ? doc.hooks : {};
  return MANAGED_HOOKS.flatMap((m) => {
    const list = hooks[m.event];
    return Array.isArray(list) ? list.filter(isConfabEntry).map((e) => (e as { command: string }).command) : [];
  });
}

function fileOf(opts?: { configDir?: string }): string {
  return hooksPath(opts?.configDir);
}

export async function installCursorHooks(opts: HookInstallOptions): Promise<HookInstallResult> {
  if (!opts.command || !isAbsolute(opts.command)) throw new CursorHooksError('the confab command for Cursor hooks must be an absolute path');
  const file = fileOf(opts);
  return editAgentFile(file, (text) => addConfabHooks(text, opts.command, file));
}

export async function uninstallCursorHooks(opts: Omit<HookInstallOptions, 'command'> = {}): Promise<HookInstallResult> {
  const file = fileOf(opts);
  return editAgentFile(file, (text) => (text === undefined || text.trim() === '' ? undefined : removeConfabHooks(text, file)));
}

async function readDoc(opts?: { configDir?: string }): Promise<JsonObject> {
  const file = fileOf(opts);
  return parseHooksJson(await readAgentFile(file), file);
}

export async function cursorHooksInstalled(opts?: Omit<HookInstallOptions, 'command'>): Promise<boolean> {
  return confabHooksInstalled(await readDoc(opts));
}

export async function cursorHookCommands(opts?: Omit<HookInstallOptions, 'command'>): Promise<string[]> {
  return confabHookCommands(await readDoc(opts));
}
