/**
 * A daemon's hooks built with tapable and the Codex provider applied to them, plus the
 * calls the sync engine makes: init, discover, one chunk per file.
 */
import { basename } from 'node:path';
import { createDaemonHooks } from 'confab-cli';
import type { ChunkContext, ChunkRequest, DaemonHooks, DiscoverContext, InitRequest, TrackedFileSpec } from 'confab-cli/provider';
import { codex } from '../src/index.js';

export interface Session {
  externalId: string;
  transcriptPath: string;
  cwd: string;
}

export interface Harness {
  hooks: DaemonHooks;
  redactions: string[];
  init(refresh?: boolean, req?: Partial<InitRequest>): Promise<InitRequest>;
  discover(tracked: Map<string, TrackedFileSpec>): Promise<TrackedFileSpec[]>;
  chunk(file: TrackedFileSpec, firstLine: number, rawLines: string[]): Promise<ChunkRequest>;
}

export function createHarness(session: Session, redact: (value: string) => string = (v) => v): Harness {
  const hooks = createDaemonHooks();
  codex.apply?.({ hooks, provider: 'codex', ...session });
  const h: Harness = {
    hooks,
    redactions: [],
    init(refresh = false, req = {}) {
      const request: InitRequest = { provider: 'codex', external_id: session.externalId, transcript_path: session.transcriptPath, ...req };
      return hooks.initRequest.promise(request, { provider: 'codex', ...session, refresh });
    },
    discover(tracked) {
      const ctx: DiscoverContext = {
        provider: 'codex',
        ...session,
        tracked,
        round: 0,
        capabilities: async () => ({ workflow_files: false, workflow_journal: false, opencode_subagents: false }),
      };
      return hooks.discoverFiles.promise([...tracked.values()], ctx);
    },
    chunk(file, firstLine, rawLines) {
      const ctx: ChunkContext = {
        provider: 'codex',
        ...session,
        file,
        rawLines,
        redactMetadata: (value) => {
          h.redactions.push(value);
          return redact(value);
        },
        linkSummary: async () => {},
      };
      const request: ChunkRequest = { session_id: 'backend-session', file_name: file.name, file_type: file.type, first_line: firstLine, lines: rawLines };
      return hooks.chunk.promise(request, ctx);
    },
  };
  return h;
}

export function transcriptSpec(path: string): TrackedFileSpec {
  return { path, name: basename(path), type: 'transcript' };
}
