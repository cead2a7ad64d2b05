import type {
  ChunkContext,
  ChunkMetadata,
  ChunkRequest,
  DiscoverContext,
  GitInfo,
  InitContext,
  InitRequest,
  TrackedFileSpec,
} from 'confab-cli/provider';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { detectGitInfo, GitInfoCache, gitInfoForBranch } from './git-info.js';
import { createSidechainMemory, discoverSidechains, rememberAgentIds, sessionLayout, type SidechainMemory } from './sidechains.js';
import { forEachHeadLine, readTailLines } from './transcript-files.js';
import {
  extractAgentIds,
  extractGitBranch,
  extractMetadata,
  FIRST_USER_MESSAGE_MAX_BYTES,
  parseTranscriptLine,
  SUMMARY_MAX_BYTES,
  truncateUtf8,
  type SummaryLink,
} from './transcript.js';

/**
 * What the Claude Code provider does inside a daemon: sub-agent discovery, chunk metadata
 * (summary, first user message, git info, summary links) and init git info. One instance
 * per daemon; `apply` in index.ts loads this module on first use.
 */

// Metadata is redacted before it is cut to the backend's size, so a secret straddling the
// cut cannot leak half-recognized; this bounds how much text goes through redaction.
const PRE_REDACTION_FACTOR = 16;
/** Summary-link search reads this many lines from the end of each sibling session. */
export const SUMMARY_LINK_TAIL_LINES = 10;
// How far into a transcript init looks for a `gitBranch` before asking git instead.
const INIT_BRANCH_SCAN_BYTES = 8 * 1024 * 1024;
const SESSION_ID = /^[A-Za-z0-9_-]+$/;

/**
 * The session whose transcript holds a line with `uuid === leafUuid` among its last 10
 * lines: a sibling `*.jsonl` in the same project dir (not a sub-agent file, not `skipName`).
 */
export async function findSessionByLeafUuid(projectDir: string, leafUuid: string, skipName: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(projectDir);
  } catch {
    return undefined;
  }
  for (const name of names.sort()) {
    if (!name.endsWith('.jsonl') || name.startsWith('agent-') || name === skipName) continue;
    const id = name.slice(0, -'.jsonl'.length);
    if (!SESSION_ID.test(id)) continue;
    let tail: string[];
    try {
      tail = await readTailLines(join(projectDir, name), SUMMARY_LINK_TAIL_LINES);
    } catch {
      continue;
    }
    for (const line of tail) {
      if (!line.includes(leafUuid)) continue;
      const entry = parseTranscriptLine(line);
      if (entry.kind !== 'invalid' && (entry.line as { uuid?: unknown }).uuid === leafUuid) return id;
    }
  }
  return undefined;
}

/** The first `gitBranch` of a transcript file (bounded read), with that line's cwd. */
export async function gitBranchOfTranscript(path: string): Promise<{ branch: string; cwd?: string } | undefined> {
  let found: { branch: string; cwd?: string } | undefined;
  try {
    await forEachHeadLine(path, INIT_BRANCH_SCAN_BYTES, (line) => {
      found = extractGitBranch([line]);
      return found !== undefined;
    });
  } catch {
    return undefined;
  }
  return found;
}

/**
 * Git info for `POST /sync/init`: from the transcript's first line with a `gitBranch` (the
 * branch as Claude Code saw it, repository facts from that line's cwd), else from git in
 * the session's cwd when it is a work tree. Undefined when neither applies.
 */
export async function initGitInfo(transcriptPath: string, cwd: string | undefined): Promise<GitInfo | undefined> {
  const fromLine = await gitBranchOfTranscript(transcriptPath);
  if (fromLine) return gitInfoForBranch(fromLine.branch, fromLine.cwd);
  return cwd ? detectGitInfo(cwd) : undefined;
}

export class ClaudeDaemonTaps {
  readonly sidechains: SidechainMemory = createSidechainMemory();
  private readonly git = new GitInfoCache();
  private readonly linkedLeaves = new Set<string>();

  async initRequest(req: InitRequest, ctx: InitContext): Promise<InitRequest> {
    // A refresh re-init sends no metadata (it would overwrite what the session has).
    if (ctx.refresh || req.metadata?.git_info) return req;
    let info: GitInfo | undefined;
    try {
      info = await initGitInfo(ctx.transcriptPath, ctx.cwd || req.metadata?.cwd);
    } catch {
      info = undefined;
    }
    return info ? { ...req, metadata: { ...req.metadata, git_info: info } } : req;
  }

  discoverFiles(files: TrackedFileSpec[], ctx: DiscoverContext): Promise<TrackedFileSpec[]> {
    return discoverSidechains(files, ctx, this.sidechains);
  }

  async chunk(req: ChunkRequest, ctx: ChunkContext): Promise<ChunkRequest> {
    const type = ctx.file.type;
    if (type === 'transcript' || type === 'agent') rememberAgentIds(this.sidechains, extractAgentIds(ctx.rawLines));
    if (type !== 'transcript') return req;
    try {
      return await this.annotateTranscriptChunk(req, ctx);
    } catch {
      // Metadata is a nicety; the lines must go up regardless.
      return req;
    }
  }

  private async annotateTranscriptChunk(req: ChunkRequest, ctx: ChunkContext): Promise<ChunkRequest> {
    const meta = extractMetadata(ctx.rawLines, {
      summaryMaxBytes: SUMMARY_MAX_BYTES * PRE_REDACTION_FACTOR,
      firstUserMessageMaxBytes: FIRST_USER_MESSAGE_MAX_BYTES * PRE_REDACTION_FACTOR,
    });
    const added: ChunkMetadata = {};
    if (meta.summary !== undefined) {
      const summary = truncateUtf8(ctx.redactMetadata(meta.summary, 'summary'), SUMMARY_MAX_BYTES);
      if (summary) added.summary = summary;
    }
    if (meta.firstUserMessage !== undefined) {
      const first = truncateUtf8(ctx.redactMetadata(meta.firstUserMessage, 'first_user_message'), FIRST_USER_MESSAGE_MAX_BYTES);
      if (first) added.first_user_message = first;
    }
    if (!req.metadata?.git_info) {
      const branch = extractGitBranch(ctx.rawLines);
      if (branch) added.git_info = await this.git.forBranch(branch.branch, branch.cwd);
    }
    await this.linkSummaries(meta.summaryLinks, ctx);
    return Object.keys(added).length > 0 ? { ...req, metadata: { ...req.metadata, ...added } } : req;
  }

  /** Push summaries that title earlier sessions onto those sessions (best-effort, once each). */
  private async linkSummaries(links: SummaryLink[], ctx: ChunkContext): Promise<void> {
    const layout = sessionLayout(ctx.transcriptPath);
    for (const link of links) {
      if (this.linkedLeaves.has(link.leafUuid)) continue;
      this.linkedLeaves.add(link.leafUuid);
      const target = await findSessionByLeafUuid(layout.projectDir, link.leafUuid, basename(ctx.transcriptPath));
      if (!target || target === ctx.externalId) continue;
      const summary = truncateUtf8(ctx.redactMetadata(link.summary, 'summary'), SUMMARY_MAX_BYTES);
      if (summary) await ctx.linkSummary(target, summary);
    }
  }
}
