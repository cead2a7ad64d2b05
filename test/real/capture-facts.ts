import { basename } from 'node:path';
import type { InteractiveCapture } from './interactive-session.js';
import type { HookRecord, ProcEntry, SessionCapture, TurnCapture } from './scripted-session.js';

/**
 * What a capture of the real client shows, reduced to the facts confab's provider and daemon
 * depend on. The suite asserts on these and the fixture README is rendered from them.
 */

export interface HookCallFact {
  event: string;
  /** tool_name for tool events, agent_type for sub-agent events. */
  detail?: string;
  /** Whether the call came from inside a sub-agent (payload has agent_id). */
  inSubagent: boolean;
  /** Milliseconds since the CLI was started. */
  atMs: number;
  transcriptExists: boolean | null;
  transcriptSize: number | null;
  /** false when the hook caught the transcript in the middle of writing a line. */
  transcriptEndsWithNewline: boolean | null;
  outcome?: { phase: string; signal?: string; afterMs: number };
}

export interface ProcFact {
  comm: string;
  exe: string | null;
  argv0: string | null;
  argv: string[] | null;
  /** The process leads its own process group / session. */
  groupLeader: boolean;
  sessionLeader: boolean;
}

export interface TurnFacts {
  name: string;
  args: string[];
  sessionId: string;
  durationMs: number;
  stderr: string;
  hooks: HookCallFact[];
  /** SessionEnd hook received → CLI exit, in ms (null when no SessionEnd was recorded). */
  sessionEndToExitMs: number | null;
  /** Transcript bytes the SessionEnd hook saw, and after the CLI exited. */
  transcriptBytesAtSessionEnd: number | null;
  transcriptBytesAfterExit: number;
  /** Sub-agent file bytes the SubagentStop hook saw, and after the CLI exited. */
  subagentBytes: Array<{ agentId: string; atSubagentStop: number | null; afterExit: number }>;
  requests: Array<{ path: string; model?: string; stream?: boolean; step: string; messageCount?: number }>;
  jsonlFiles: string[];
  probes?: { detachedAlive: boolean; attachedAlive: boolean };
}

export interface LineTypeCount {
  type: string;
  subtype?: string;
  count: number;
}

export interface FileFacts {
  /** Path relative to ~/.claude/projects. */
  path: string;
  lines: number;
  bytes: number;
  maxLineBytes: number;
  allLinesJson: boolean;
  types: LineTypeCount[];
  attachmentTypes: LineTypeCount[];
}

export interface CaptureFacts {
  version: string;
  projectKey: string;
  sessionIds: string[];
  turns: TurnFacts[];
  files: FileFacts[];
  payloadKeys: Record<string, string[]>;
  processTree: {
    hook: ProcFact;
    parent: ProcFact;
    grandparent: ProcFact;
    grandparentIsClaude: boolean;
    claudePidEnvMatches: boolean;
    hookEnvClaudeVars: string[];
  };
  subagents: Array<{ agentId: string; file: string; metaFile: string | null; namedInTranscript: boolean }>;
  transcriptAppendOnly: boolean;
}

export function parsePayload(h: HookRecord): Record<string, unknown> {
  const parsed = JSON.parse(h.stdin) as unknown;
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${h.event} payload is not a JSON object`);
  return parsed as Record<string, unknown>;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function procFact(p: ProcEntry | undefined): ProcFact {
  if (!p) throw new Error('process chain is shorter than expected');
  return {
    comm: p.comm ?? '',
    exe: p.exe ?? null,
    argv0: p.argv?.[0] ?? null,
    argv: p.argv ?? null,
    groupLeader: p.pgid === p.pid,
    sessionLeader: p.sid === p.pid,
  };
}

function hookFact(h: HookRecord, turn: TurnCapture): HookCallFact {
  const p = parsePayload(h);
  const detail = str(p.tool_name) ?? str(p.agent_type);
  return {
    event: h.event,
    ...(detail ? { detail } : {}),
    inSubagent: typeof p.agent_id === 'string',
    atMs: h.receivedAtMs - turn.run.startedAtMs,
    transcriptExists: h.transcript ? h.transcript.exists : null,
    transcriptSize: h.transcript?.size ?? null,
    transcriptEndsWithNewline: h.transcript?.endsWithNewline ?? null,
    ...(h.outcome
      ? {
          outcome: {
            phase: h.outcome.phase,
            ...(h.outcome.signal ? { signal: h.outcome.signal } : {}),
            afterMs: h.outcome.atMs - h.receivedAtMs,
          },
        }
      : {}),
  };
}

function countBy(items: Array<{ type: string; subtype?: string }>): LineTypeCount[] {
  const map = new Map<string, LineTypeCount>();
  for (const it of items) {
    const key = `${it.type}\0${it.subtype ?? ''}`;
    const cur = map.get(key);
    if (cur) cur.count++;
    else map.set(key, { type: it.type, ...(it.subtype ? { subtype: it.subtype } : {}), count: 1 });
  }
  return [...map.values()].sort((a, b) => a.type.localeCompare(b.type) || (a.subtype ?? '').localeCompare(b.subtype ?? ''));
}

export function parseJsonl(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      const v = JSON.parse(l) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`line ${i + 1} is not a JSON object`);
      return v as Record<string, unknown>;
    });
}

function fileFacts(path: string, text: string): FileFacts {
  const raw = text.split('\n').filter((l) => l !== '');
  let allLinesJson = true;
  const lines: Array<Record<string, unknown>> = [];
  for (const l of raw) {
    try {
      lines.push(parseJsonl(l)[0] ?? {});
    } catch {
      allLinesJson = false;
    }
  }
  return {
    path,
    lines: raw.length,
    bytes: Buffer.byteLength(text),
    maxLineBytes: Math.max(0, ...raw.map((l) => Buffer.byteLength(l))),
    allLinesJson,
    types: countBy(lines.map((o) => ({ type: str(o.type) ?? '(none)', ...(str(o.subtype) ? { subtype: str(o.subtype) } : {}) }))),
    attachmentTypes: countBy(
      lines
        .filter((o) => o.type === 'attachment')
        .map((o) => ({ type: str((o.attachment as Record<string, unknown> | undefined)?.type) ?? '(none)' })),
    ),
  };
}

/** agentIds the main transcript names in `toolUseResult.agentId` of its user lines. */
export function agentIdsInTranscript(text: string): string[] {
  const ids: string[] = [];
  for (const o of parseJsonl(text)) {
    if (o.type !== 'user') continue;
    const r = o.toolUseResult;
    if (typeof r === 'object' && r !== null && typeof (r as Record<string, unknown>).agentId === 'string') {
      ids.push((r as Record<string, string>).agentId as string);
    }
  }
  return ids;
}

export function deriveFacts(cap: SessionCapture, version: string): CaptureFacts {
  const last = cap.turns[cap.turns.length - 1];
  const first = cap.turns[0];
  if (!first || !last) throw new Error('the capture has no turns');
  const sessionId = first.sessionId;
  const jsonlPaths = Object.keys(last.projectFiles).filter((p) => p.endsWith('.jsonl')).sort();
  const mainPath = jsonlPaths.find((p) => basename(p) === `${sessionId}.jsonl`);
  if (!mainPath) throw new Error(`no transcript ${sessionId}.jsonl under projects/`);
  const projectKey = mainPath.split('/')[0] ?? '';
  const mainText = last.projectFiles[mainPath] ?? '';
  const named = new Set(agentIdsInTranscript(mainText));

  const subagents = jsonlPaths
    .filter((p) => /\/subagents\/agent-[^/]+\.jsonl$/.test(p))
    .map((p) => {
      const agentId = basename(p).replace(/^agent-/, '').replace(/\.jsonl$/, '');
      const meta = p.replace(/\.jsonl$/, '.meta.json');
      return {
        agentId,
        file: p,
        metaFile: meta in last.projectFiles ? meta : null,
        namedInTranscript: named.has(agentId),
      };
    });

  const payloadKeys: Record<string, Set<string>> = {};
  for (const turn of cap.turns) {
    for (const h of turn.hooks) {
      const p = parsePayload(h);
      const key = `${h.event}${typeof p.agent_id === 'string' ? ' (in sub-agent)' : ''}${h.event === 'SessionStart' ? ` (source=${String(p.source)})` : ''}`;
      const set = (payloadKeys[key] ??= new Set());
      for (const k of Object.keys(p)) set.add(k);
    }
  }

  const start = first.hooks.find((h) => h.event === 'SessionStart');
  if (!start) throw new Error('the first turn recorded no SessionStart hook');
  const [hook, parent, grandparent] = [start.processChain[0], start.processChain[1], start.processChain[2]];
  const claudeVars = Object.keys(start.env.claude).sort();

  let appendOnly = true;
  for (let i = 1; i < cap.turns.length; i++) {
    const before = cap.turns[i - 1]?.projectFiles ?? {};
    const after = cap.turns[i]?.projectFiles ?? {};
    for (const [p, text] of Object.entries(before)) {
      if (p.endsWith('.jsonl') && !(after[p] ?? '').startsWith(text)) appendOnly = false;
    }
  }

  return {
    version,
    projectKey,
    sessionIds: cap.turns.map((t) => t.sessionId),
    turns: cap.turns.map((t) => {
      const end = t.hooks.find((h) => h.event === 'SessionEnd');
      return {
        name: t.plan.name,
        args: t.args,
        sessionId: t.sessionId,
        durationMs: t.run.exitedAtMs - t.run.startedAtMs,
        stderr: t.run.stderr,
        hooks: t.hooks.map((h) => hookFact(h, t)),
        sessionEndToExitMs: end ? t.run.exitedAtMs - end.receivedAtMs : null,
        transcriptBytesAtSessionEnd: end?.transcript?.size ?? null,
        transcriptBytesAfterExit: Buffer.byteLength(t.projectFiles[mainPath] ?? ''),
        subagentBytes: t.hooks
          .filter((h) => h.event === 'SubagentStop')
          .map((h) => {
            const p = parsePayload(h);
            const agentId = str(p.agent_id) ?? '';
            const file = jsonlPaths.find((x) => x.endsWith(`/agent-${agentId}.jsonl`)) ?? '';
            return { agentId, atSubagentStop: h.agentTranscript?.size ?? null, afterExit: Buffer.byteLength(t.projectFiles[file] ?? '') };
          }),
        requests: t.requests.map((r) => ({
          path: r.path,
          ...(r.model ? { model: r.model } : {}),
          ...(r.stream !== undefined ? { stream: r.stream } : {}),
          step: r.step,
          ...(r.messageCount !== undefined ? { messageCount: r.messageCount } : {}),
        })),
        jsonlFiles: Object.keys(t.projectFiles).filter((p) => p.endsWith('.jsonl')).sort(),
        ...(t.probes ? { probes: t.probes } : {}),
      };
    }),
    files: jsonlPaths.map((p) => fileFacts(p, last.projectFiles[p] ?? '')),
    payloadKeys: Object.fromEntries(Object.entries(payloadKeys).map(([k, v]) => [k, [...v].sort()])),
    processTree: {
      hook: procFact(hook),
      parent: procFact(parent),
      grandparent: procFact(grandparent),
      grandparentIsClaude: grandparent?.pid === first.run.pid,
      claudePidEnvMatches: start.env.claude.CLAUDE_PID === String(first.run.pid),
      hookEnvClaudeVars: claudeVars,
    },
    subagents,
    transcriptAppendOnly: appendOnly,
  };
}

export interface InteractiveScenarioFacts {
  name: string;
  sessionId: string;
  hooks: string[];
  transcriptAtSessionStart: boolean | null;
  transcriptAtSessionEnd: boolean | null;
  transcriptFileAfterExit: boolean;
  sessionEndReason: string | null;
  sessionEndToExitMs: number | null;
  sessionsFileWhileRunning: boolean;
  sessionsFileAfterExit: boolean;
  subagentFinishedAfterAgentToolReturned: boolean | null;
  taskNotificationPrompt: boolean;
  claudeParentComm: string | null;
}

export interface InteractiveFacts {
  projectKey: string;
  scenarios: InteractiveScenarioFacts[];
}

/** Hook labels as `Event[:tool][@sub]`, the form the suite compares orders in. */
export function hookLabel(h: HookRecord): string {
  const p = parsePayload(h);
  const tool = typeof p.tool_name === 'string' ? `:${p.tool_name}` : '';
  return `${h.event}${tool}${typeof p.agent_id === 'string' ? '@sub' : ''}`;
}

export function deriveInteractiveFacts(cap: InteractiveCapture): InteractiveFacts {
  const keys = cap.scenarios.flatMap((s) => Object.keys(s.projectFiles));
  const projectKey = keys[0]?.split('/')[0] ?? '';
  return {
    projectKey,
    scenarios: cap.scenarios.map((s) => {
      const start = s.hooks.find((h) => h.event === 'SessionStart');
      const end = s.hooks.find((h) => h.event === 'SessionEnd');
      const sessionId = start ? (str(parsePayload(start).session_id) ?? '') : '';
      const labels = s.hooks.map(hookLabel);
      const agentReturned = labels.indexOf('PostToolUse:Agent');
      const subStop = labels.indexOf('SubagentStop@sub');
      return {
        name: s.name,
        sessionId,
        hooks: labels,
        transcriptAtSessionStart: start?.transcript ? start.transcript.exists : null,
        transcriptAtSessionEnd: end?.transcript ? end.transcript.exists : null,
        transcriptFileAfterExit: Object.keys(s.projectFiles).some((k) => k.endsWith(`/${sessionId}.jsonl`)),
        sessionEndReason: end ? (str(parsePayload(end).reason) ?? null) : null,
        sessionEndToExitMs: end ? s.exitedAtMs - end.receivedAtMs : null,
        sessionsFileWhileRunning: s.sessionsFile !== null,
        sessionsFileAfterExit: s.sessionsFileAfterExit,
        subagentFinishedAfterAgentToolReturned: agentReturned >= 0 && subStop >= 0 ? agentReturned < subStop : null,
        taskNotificationPrompt: s.hooks.some(
          (h) => h.event === 'UserPromptSubmit' && (str(parsePayload(h).prompt) ?? '').startsWith('<task-notification>'),
        ),
        // The chain runs hook, sh, claude, then claude's parent.
        claudeParentComm: start?.processChain[3]?.comm ?? null,
      };
    }),
  };
}
