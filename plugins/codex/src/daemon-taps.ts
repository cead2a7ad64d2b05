import type { ChunkContext, ChunkRequest, CodexRolloutMetadata, DiscoverContext, InitContext, InitRequest, TrackedFileSpec } from 'confab-cli/provider';
import { basename } from 'node:path';
import { sessionsDir } from './codex-dir.js';
import { gitInfoWithRemotes } from './git-info.js';
import { forEachHeadLine } from './rollout-files.js';
import { firstUserMessage, isUuid, sessionMetaOfLine, threadIdOfRolloutName, turnContextModelOfLine, type SessionMeta } from './rollout.js';
import { FIRST_USER_MESSAGE_MAX_BYTES, sanitizeText, truncateUtf8 } from './text.js';
import { RolloutCatalog } from './thread-tree.js';

/**
 * What the Codex provider does inside a daemon: follow the sub-agent rollouts of the
 * session's tree, annotate chunks (`codex_rollout` on each rollout's first chunk, the first
 * user message once), and add git info to init. One instance per daemon.
 */

// The backend's limits on codex_rollout fields (confab-web-api.md §6.4). A value over a
// limit is a 400 that would stall the file, so such a field is left out instead.
const MAX_LONG = 8192;
const MAX_SHORT = 255;
const MAX_SOURCE = 64;
/** How far into a chunk (or a rollout's head) session_meta and the first turn_context are looked for. */
const HEAD_LINES = 64;
const HEAD_BYTES = 8 * 1024 * 1024;
// Redaction runs before the cut to the backend's size (a secret straddling the cut must not
// leak half-recognized); this bounds how much text goes through it.
const PRE_REDACTION_BYTES = FIRST_USER_MESSAGE_MAX_BYTES * 16;

export interface RolloutHead {
  meta?: SessionMeta;
  model?: string;
}

/** session_meta and the first turn_context model among the first lines of `lines`. */
export function headOfLines(lines: readonly string[]): RolloutHead {
  const head: RolloutHead = {};
  for (const line of lines.slice(0, HEAD_LINES)) {
    head.meta ??= sessionMetaOfLine(line);
    head.model ??= turnContextModelOfLine(line);
    if (head.meta && (head.meta.model || head.model)) break;
  }
  return head;
}

async function headOfFile(path: string): Promise<RolloutHead> {
  const lines: string[] = [];
  try {
    await forEachHeadLine(path, HEAD_BYTES, (line, index) => {
      lines.push(line);
      return index + 1 >= HEAD_LINES;
    });
  } catch {
    // unreadable: metadata from what is known without it
  }
  return headOfLines(lines);
}

function put(target: CodexRolloutMetadata, key: Exclude<keyof CodexRolloutMetadata, 'thread_uuid' | 'rollout_path'>, value: string | undefined, max: number): void {
  if (value !== undefined && value !== '' && value.length <= max) target[key] = value;
}

/**
 * The `codex_rollout` block for one rollout. The root's thread is the session's external
 * id; a sub-agent names its parent. Undefined when no valid thread UUID can be given.
 */
export function rolloutMetadata(file: TrackedFileSpec, head: RolloutHead, externalId: string): CodexRolloutMetadata | undefined {
  const nameId = threadIdOfRolloutName(basename(file.path));
  const isRoot = file.type === 'transcript';
  const threadId = isRoot && isUuid(externalId) ? externalId : (nameId ?? (isUuid(head.meta?.id) ? head.meta?.id : undefined));
  if (!threadId || file.path.length > MAX_LONG) return undefined;
  const out: CodexRolloutMetadata = { thread_uuid: threadId, rollout_path: file.path };
  const meta = head.meta ?? {};
  const parent = meta.parentThreadId;
  if (!isRoot && isUuid(parent) && parent.toLowerCase() !== threadId.toLowerCase()) out.parent_thread_uuid = parent;
  put(out, 'cwd', meta.cwd, MAX_LONG);
  put(out, 'model', meta.model ?? head.model, MAX_SHORT);
  put(out, 'source', meta.source?.slice(0, MAX_SOURCE), MAX_SOURCE);
  put(out, 'thread_source', meta.threadSource, MAX_SHORT);
  put(out, 'agent_path', meta.agentPath, MAX_LONG);
  put(out, 'agent_role', meta.agentRole, MAX_SHORT);
  put(out, 'agent_nickname', meta.agentNickname, MAX_SHORT);
  return out;
}

export class CodexDaemonTaps {
  readonly catalog: RolloutCatalog;
  /** Line number (in the transcript) of the first user message, once a chunk carried it. */
  private firstMessageLine: number | undefined;
  private firstMessageDone = false;

  constructor(sessions = sessionsDir()) {
    this.catalog = new RolloutCatalog(sessions);
  }

  /** Init gets git info from the rollout's cwd (a repository with remotes), never on a refresh. */
  async initRequest(req: InitRequest, ctx: InitContext): Promise<InitRequest> {
    if (ctx.refresh || req.metadata?.git_info) return req;
    const rec = await this.catalog.record(ctx.transcriptPath);
    const cwd = rec?.meta.cwd || ctx.cwd || req.metadata?.cwd;
    const info = cwd ? await gitInfoWithRemotes(cwd) : undefined;
    return info ? { ...req, metadata: { ...req.metadata, git_info: info } } : req;
  }

  /**
   * Every sub-agent rollout of the tree, as `agent` files named after the rollout. Paths
   * are re-resolved each time, so a file the backend already knows (after a restart) is
   * followed at its real location rather than a guessed one.
   */
  async discoverFiles(files: TrackedFileSpec[], ctx: DiscoverContext): Promise<TrackedFileSpec[]> {
    const rootName = basename(ctx.transcriptPath);
    const rootId = threadIdOfRolloutName(rootName) ?? ctx.externalId;
    const descendants = await this.catalog.descendantsOf(rootId, this.catalog.dayOf(ctx.transcriptPath));
    const out = [...files];
    for (const d of descendants) {
      const spec: TrackedFileSpec = { path: d.path, name: basename(d.path), type: 'agent' };
      if (spec.name === rootName) continue;
      const at = out.findIndex((f) => f.name === spec.name);
      if (at === -1) out.push(spec);
      else if (out[at]?.path !== spec.path || out[at]?.type !== spec.type) out[at] = spec;
    }
    return out;
  }

  async chunk(req: ChunkRequest, ctx: ChunkContext): Promise<ChunkRequest> {
    let out = req;
    // Every chunk that starts a rollout carries its metadata: retries included, which makes
    // it a function of first_line alone (the backend's upsert is idempotent).
    if (req.first_line === 1 && threadIdOfRolloutName(basename(ctx.file.path))) {
      let head = headOfLines(ctx.rawLines);
      if (!head.meta) head = await headOfFile(ctx.file.path);
      const rollout = rolloutMetadata(ctx.file, head, ctx.externalId);
      if (rollout) out = { ...out, metadata: { ...out.metadata, codex_rollout: rollout } };
    }
    if (ctx.file.type === 'transcript') out = this.withFirstUserMessage(out, ctx);
    return out;
  }

  /**
   * The first user message goes up with the chunk that holds its line, and again with any
   * retry of that line; once a chunk starts past it, the backend has it (uploads are
   * contiguous) and it is not sent again.
   */
  private withFirstUserMessage(req: ChunkRequest, ctx: ChunkContext): ChunkRequest {
    if (this.firstMessageDone) return req;
    if (this.firstMessageLine !== undefined && req.first_line > this.firstMessageLine) {
      this.firstMessageDone = true;
      return req;
    }
    const found = firstUserMessage(ctx.rawLines);
    if (!found) return req;
    this.firstMessageLine = req.first_line + found.index;
    const clean = truncateUtf8(sanitizeText(found.text), PRE_REDACTION_BYTES);
    const text = truncateUtf8(ctx.redactMetadata(clean, 'first_user_message'), FIRST_USER_MESSAGE_MAX_BYTES);
    return text ? { ...req, metadata: { ...req.metadata, first_user_message: text } } : req;
  }
}
