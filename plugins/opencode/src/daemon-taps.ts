import { existsSync } from 'node:fs';
import type { DiscoverContext, SessionIdentity, TrackedFileSpec } from 'confab-cli/provider';
import { descendants, withOpencodeDb } from './opencode-db.js';
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
}
