/**
 * A daemon's hooks built with tapable, and a miniature sync loop over them: enough to drive
 * the provider's taps the way the engine does (discover, upload each file's lines as one
 * chunk, discover again after each round).
 */
import { readFileSync } from 'node:fs';
import { createDaemonHooks } from 'confab-cli';
import type { Capabilities, ChunkContext, ChunkRequest, DaemonHooks, DiscoverContext, TrackedFileSpec } from 'confab-cli/provider';
import { claudeCode } from '../src/index.js';

export interface Session {
  externalId: string;
  transcriptPath: string;
  cwd: string;
}

export interface Harness {
  hooks: DaemonHooks;
  session: Session;
  /** Capabilities answer (or failure) for the next probes; counts the probes. */
  capabilities: { answer: Capabilities | Error; probes: number };
  redactions: Array<{ value: string; field: string }>;
  links: Array<{ externalId: string; summary: string }>;
  discover(tracked: ReadonlyMap<string, TrackedFileSpec>, round: number, files?: TrackedFileSpec[]): Promise<TrackedFileSpec[]>;
  chunk(file: TrackedFileSpec, rawLines: string[], req?: Partial<ChunkRequest>): Promise<ChunkRequest>;
  /** One sync cycle: discover, upload every file not uploaded yet, repeat for new files. */
  cycle(tracked: Map<string, TrackedFileSpec>, uploaded: Set<string>): Promise<void>;
}

export function createHarness(session: Session, redact: (value: string) => string = (v) => v): Harness {
  const hooks = createDaemonHooks();
  claudeCode.apply?.({ hooks, provider: 'claude-code', ...session });
  const h: Harness = {
    hooks,
    session,
    capabilities: { answer: { workflow_files: true, workflow_journal: true, opencode_subagents: false }, probes: 0 },
    redactions: [],
    links: [],
    async discover(tracked, round, files) {
      const ctx: DiscoverContext = {
        provider: 'claude-code',
        ...session,
        tracked,
        round,
        capabilities: async () => {
          h.capabilities.probes++;
          const answer = h.capabilities.answer;
          if (answer instanceof Error) throw answer;
          return answer;
        },
      };
      return hooks.discoverFiles.promise(files ?? [...tracked.values()], ctx);
    },
    async chunk(file, rawLines, req = {}) {
      const ctx: ChunkContext = {
        provider: 'claude-code',
        ...session,
        file,
        rawLines,
        redactMetadata: (value, field) => {
          h.redactions.push({ value, field });
          return redact(value);
        },
        linkSummary: async (externalId, summary) => {
          h.links.push({ externalId, summary });
        },
      };
      const request: ChunkRequest = { session_id: 'sess-1', file_name: file.name, file_type: file.type, first_line: 1, lines: rawLines, ...req };
      return hooks.chunk.promise(request, ctx);
    },
    async cycle(tracked, uploaded) {
      for (let round = 0; round < 10; round++) {
        const files = await h.discover(tracked, round);
        for (const f of files) tracked.set(f.name, f);
        const pending = [...tracked.values()].filter((f) => !uploaded.has(f.name));
        if (pending.length === 0 && round > 0) return;
        for (const f of pending) {
          let text: string;
          try {
            text = readFileSync(f.path, 'utf8');
          } catch {
            continue; // not there yet
          }
          uploaded.add(f.name);
          await h.chunk(f, text.split('\n').filter((l) => l !== ''));
        }
      }
    },
  };
  return h;
}

export function transcriptSpec(session: Session): TrackedFileSpec {
  return { path: session.transcriptPath, name: session.transcriptPath.split('/').pop() as string, type: 'transcript' };
}
