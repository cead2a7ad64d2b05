import type { Capabilities, DiscoverContext, TrackedFileSpec } from 'confab-cli/provider';
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isAgentId } from './transcript.js';

/**
 * Where a Claude Code session keeps the transcripts of its sub-agents, and how confab names
 * them on the backend:
 *
 * - classic sub-agents (`Task` tool): `<session>/subagents/agent-<id>.jsonl`, uploaded flat
 *   as `agent-<id>.jsonl`, type `agent`. Sessions written before Claude Code moved them kept
 *   them next to the transcript (`<project>/agent-<id>.jsonl`); those are found by id.
 * - workflow runs: `<session>/subagents/workflows/<run>/agent-<id>.jsonl` (type `agent`) and
 *   `…/<run>/journal.jsonl` (type `workflow_journal`), uploaded under the path-encoded name
 *   `subagents/workflows/<run>/<file>`, only when the backend says it stores them.
 *
 * `<session>` is the transcript path without `.jsonl`.
 */
export interface SessionLayout {
  transcriptPath: string;
  projectDir: string;
  subagentsDir: string;
  workflowsDir: string;
}

export function sessionLayout(transcriptPath: string): SessionLayout {
  const sessionDir = transcriptPath.replace(/\.jsonl$/, '');
  const subagentsDir = join(sessionDir, 'subagents');
  return { transcriptPath, projectDir: dirname(transcriptPath), subagentsDir, workflowsDir: join(subagentsDir, 'workflows') };
}

const AGENT_FILE = /^agent-([A-Za-z0-9_-]{6,200})\.jsonl$/;
const WORKFLOW_NAME = /^subagents\/workflows\/([^/]+)\/([^/]+)$/;
// Run dirs are ids Claude Code generates; anything path-like is refused.
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

export function agentFileName(id: string): string {
  return `agent-${id}.jsonl`;
}

/** The agent id in a flat sub-agent file name, if it is one. */
export function agentIdFromFileName(name: string): string | undefined {
  return AGENT_FILE.exec(name)?.[1];
}

/** Which workflow file this base name is, if confab uploads it. */
export function workflowFileType(base: string): 'agent' | 'workflow_journal' | undefined {
  if (base === 'journal.jsonl') return 'workflow_journal';
  if (AGENT_FILE.test(base)) return 'agent';
  return undefined; // *.meta.json, wf_<run>.json, scripts…
}

export function workflowFileName(run: string, base: string): string {
  return `subagents/workflows/${run}/${base}`;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function listDir(path: string): Promise<Dirent[]> {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Local path of a classic sub-agent: the current layout, else the pre-`subagents/` one. */
export async function locateAgentFile(layout: SessionLayout, id: string): Promise<string | undefined> {
  const current = join(layout.subagentsDir, agentFileName(id));
  if (await isFile(current)) return current;
  const legacy = join(layout.projectDir, agentFileName(id));
  if (await isFile(legacy)) return legacy;
  return undefined;
}

/**
 * The local file behind a backend file name this provider owns, or undefined for names it
 * does not own (the transcript, other providers' files) or that are not safe paths. Used to
 * re-point files the backend already knows after a restart, wherever they live now.
 */
export async function resolveKnownFile(layout: SessionLayout, name: string): Promise<TrackedFileSpec | undefined> {
  const id = agentIdFromFileName(name);
  if (id !== undefined) {
    const path = (await locateAgentFile(layout, id)) ?? join(layout.subagentsDir, name);
    return { path, name, type: 'agent' };
  }
  const wf = WORKFLOW_NAME.exec(name);
  if (wf) {
    const [, run = '', base = ''] = wf;
    const type = workflowFileType(base);
    if (!type || !SAFE_SEGMENT.test(run)) return undefined;
    return { path: join(layout.workflowsDir, run, base), name, type };
  }
  return undefined;
}

/** Every `agent-*.jsonl` regular file directly in `<session>/subagents/`. */
export async function scanSubagents(layout: SessionLayout): Promise<TrackedFileSpec[]> {
  const found: TrackedFileSpec[] = [];
  for (const entry of await listDir(layout.subagentsDir)) {
    if (entry.isFile() && AGENT_FILE.test(entry.name)) {
      found.push({ path: join(layout.subagentsDir, entry.name), name: entry.name, type: 'agent' });
    }
  }
  return found;
}

/** Every uploadable file of every workflow run, whatever the backend supports. */
export async function scanWorkflows(layout: SessionLayout): Promise<TrackedFileSpec[]> {
  const found: TrackedFileSpec[] = [];
  for (const run of await listDir(layout.workflowsDir)) {
    if (!run.isDirectory() || !SAFE_SEGMENT.test(run.name)) continue;
    for (const entry of await listDir(join(layout.workflowsDir, run.name))) {
      const type = entry.isFile() ? workflowFileType(entry.name) : undefined;
      if (type) found.push({ path: join(layout.workflowsDir, run.name, entry.name), name: workflowFileName(run.name, entry.name), type });
    }
  }
  return found;
}

/** Per-session memory of the discovery: sub-agent ids seen in uploaded lines. */
export interface SidechainMemory {
  agentIds: Set<string>;
}

export function createSidechainMemory(): SidechainMemory {
  return { agentIds: new Set() };
}

function capabilityAllows(caps: Capabilities, type: TrackedFileSpec['type']): boolean {
  return type === 'workflow_journal' ? caps.workflow_journal === true : caps.workflow_files === true;
}

/**
 * The `discoverFiles` tap: the files the daemon is given, plus those it already tracks,
 * with every sub-agent file re-pointed at its local path; then sub-agents referenced by id
 * or present in `subagents/`, and (at the start of a cycle) workflow files the backend's
 * capabilities allow. A capabilities probe that fails leaves workflow files for the next
 * cycle; the probe is made only when an untracked workflow file exists.
 */
export async function discoverSidechains(files: TrackedFileSpec[], ctx: DiscoverContext, memory: SidechainMemory): Promise<TrackedFileSpec[]> {
  const layout = sessionLayout(ctx.transcriptPath);
  const out = new Map<string, TrackedFileSpec>();
  for (const f of ctx.tracked.values()) out.set(f.name, f);
  for (const f of files) out.set(f.name, f);

  for (const [name, f] of out) {
    const local = await resolveKnownFile(layout, name);
    if (local && (local.path !== f.path || local.type !== f.type)) out.set(name, { ...f, path: local.path, type: local.type });
  }

  for (const id of memory.agentIds) {
    const name = agentFileName(id);
    if (out.has(name)) continue;
    const path = await locateAgentFile(layout, id);
    if (path) out.set(name, { path, name, type: 'agent' });
  }
  for (const f of await scanSubagents(layout)) if (!out.has(f.name)) out.set(f.name, f);

  if (ctx.round === 0) {
    const candidates = (await scanWorkflows(layout)).filter((f) => !out.has(f.name));
    if (candidates.length > 0) {
      let caps: Capabilities | undefined;
      try {
        caps = await ctx.capabilities();
      } catch {
        caps = undefined; // unknown: ask again next cycle
      }
      if (caps) for (const f of candidates) if (capabilityAllows(caps, f.type)) out.set(f.name, f);
    }
  }
  return [...out.values()];
}

/** Record the sub-agent ids a chunk's lines mention, for the next discovery round. */
export function rememberAgentIds(memory: SidechainMemory, ids: Iterable<string>): void {
  for (const id of ids) if (isAgentId(id)) memory.agentIds.add(id);
}
