import { existsSync } from 'node:fs';
import type { ChunkContext, ChunkRequest, DiscoverContext, SessionIdentity, TrackedFileSpec } from 'confab-cli/provider';
import { descendants, withOpencodeDb } from './opencode-db.js';
import { FIRST_USER_MESSAGE_MAX_BYTES, firstUserText, truncateBytes } from './first-user-text.js';
import { materializeSession } from './materialize.js';
import { childFileName, childMaterializedPath } from './opencode-paths.js';

/**
 * What an OpenCode session's daemon does besides following files: before each look at its
 * files (and before the final sync), write the messages finished since into the session's
 * file and each child session's file; at discovery, track the child files as `agent` files
 * when the backend takes them.
 */
export class OpencodeDaemonTaps {
  private children: string[] = [];
  private firstMessageLine: number | undefined;
  private firstMessageDone = false;

  refresh(session: SessionIdentity): void {
    withOpencodeDb((db) => {
      materializeSession(db, session.externalId, session.transcriptPath);
      this.children = descendants(db, session.externalId).map((c) => c.id);
      for (const child of this.children) materializeSession(db, child, childMaterializedPath(session.externalId, child));
    });
  }

  async discoverFiles(files: TrackedFileSpec[], ctx: DiscoverContext): Promise<TrackedFileSpec[]> {
    const present = this.children.filter((child) => existsSync(childMaterializedPath(ctx.externalId, child)));
    if (present.length === 0) return files;
    // confab-web advertises `opencode_subagents` (older backends: no child files at all).
    if (!(await ctx.capabilities()).opencode_subagents) return files;
    const out = [...files];
    for (const child of present) {
      const name = childFileName(child);
      if (!ctx.tracked.has(name) && !out.some((f) => f.name === name)) out.push({ path: childMaterializedPath(ctx.externalId, child), name, type: 'agent' });
    }
    return out;
  }

  /**
   * `first_user_message` goes up with the transcript chunk holding its line (and with a retry
   * of that line); a chunk that starts past it means the backend has it.
   */
  chunk(req: ChunkRequest, ctx: ChunkContext): ChunkRequest {
    if (ctx.file.type !== 'transcript' || this.firstMessageDone) return req;
    if (this.firstMessageLine !== undefined && req.first_line > this.firstMessageLine) {
      this.firstMessageDone = true;
      return req;
    }
    const found = firstUserText(ctx.rawLines);
    if (!found) return req;
    this.firstMessageLine = req.first_line + found.index;
    const text = truncateBytes(ctx.redactMetadata(found.text, 'first_user_message'), FIRST_USER_MESSAGE_MAX_BYTES);
    return text ? { ...req, metadata: { ...req.metadata, first_user_message: text } } : req;
  }
}
