import { join, relative } from 'node:path';
import type { CodexCapture, CodexTurnCapture } from './codex-session.js';
import { makeSanitizer, resetFixtureDir } from './fixture-writer.js';
import type { ProcEntry } from './scripted-session.js';

/**
 * Reduces a recorded Codex session to facts (what the tests assert and the fixtures'
 * README shows), and writes the sanitized fixtures.
 */

/** `sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<uuid>.jsonl`, the uuid being the thread id. */
export const ROLLOUT_PATH = /^sessions\/(\d{4})\/(\d{2})\/(\d{2})\/rollout-\1-\2-\3T\d{2}-\d{2}-\d{2}-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;

export interface TranscriptAtHook {
  event: string;
  exists: boolean;
  size?: number;
  endsWithNewline?: boolean;
  /** Complete lines in the rollout when the hook ran (its size is a line boundary). */
  lines?: number;
}

export interface CodexTurnFacts {
  name: string;
  args: string[];
  exitCode: number | null;
  threadId: string | null;
  hookEvents: string[];
  sessionStartSource: string | null;
  /** Sorted payload keys per event (every call of an event had the same keys). */
  payloadKeys: Record<string, string[]>;
  /** Every payload's session_id is the run's thread id. */
  sessionIdIsThreadId: boolean;
  /** The payloads' transcript_path values, relative to $CODEX_HOME. */
  transcriptPaths: string[];
  transcriptAtHook: TranscriptAtHook[];
  tools: Array<{ event: string; tool_name: unknown; tool_input: unknown; tool_response?: unknown }>;
  /** The SessionEnd payload, or null when Codex did not run the SessionEnd hook. */
  sessionEnd: Record<string, unknown> | null;
  /** The processes from the hook command up to (not including) the launcher: comm and argv[0..1]. */
  hookProcessChain: string[];
  /** Lines of the thread's rollout after the run. */
  rolloutLines: number;
  requests: Array<{ path: string; step: string; auth?: string }>;
  toolNames: string[];
}

export interface CodexFacts {
  version: string;
  /** The hooks Codex saw (one per event), as its app server reported them. */
  hooks: Array<{ event: string; trustStatus: string; enabled: boolean; timeoutSec: number }>;
  /** Every rollout under $CODEX_HOME after the last run, relative to it. */
  rolloutFiles: string[];
  rolloutPathMatches: boolean;
  /** The rollout's uuid is the thread id of every run. */
  rolloutIsThread: boolean;
  /** The resume appended to the exec's rollout, which it left byte for byte as it was. */
  resumeAppendsToSameRollout: boolean;
  rolloutLineTypes: Array<{ type: string; count: number }>;
  firstLine: { type: string; payloadKeys: string[] } | null;
  turns: CodexTurnFacts[];
}

function payloadOf(stdin: string): Record<string, unknown> {
  try {
    const v = JSON.parse(stdin) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function countLines(text: string): number {
  return text.split('\n').length - 1;
}

/** The comm and first argument of each process above the hook, up to the launcher. */
function chainOf(chain: readonly ProcEntry[], codexHome: string): string[] {
  const out: string[] = [];
  for (const p of chain.slice(1)) {
    if (p.launcher) break;
    const argv = (p.argv ?? []).slice(0, 2).map((a) => (a.startsWith('/') ? relativeToPackage(a, codexHome) : a));
    out.push(`${p.comm ?? '?'} [${argv.join(' ')}]`);
  }
  return out;
}

/** Paths inside node_modules shortened to the package path, so facts do not depend on the checkout. */
function relativeToPackage(path: string, codexHome: string): string {
  const i = path.lastIndexOf('/node_modules/');
  if (i !== -1) return path.slice(i + 1);
  if (path.startsWith(codexHome)) return `<CODEX_HOME>/${relative(codexHome, path)}`;
  return path;
}

function turnFacts(cap: CodexCapture, t: CodexTurnCapture): CodexTurnFacts {
  const payloads = t.hooks.map((h) => ({ h, p: payloadOf(h.stdin) }));
  const payloadKeys: Record<string, string[]> = {};
  for (const { h, p } of payloads) payloadKeys[h.event] ??= Object.keys(p).sort();
  const transcriptPaths = [...new Set(payloads.map(({ p }) => p.transcript_path).filter((x): x is string => typeof x === 'string'))].map((x) => relative(cap.codexHome, x));
  const rolloutRel = transcriptPaths[0];
  const rollout = rolloutRel ? t.rollouts[rolloutRel] : undefined;
  const transcriptAtHook = payloads.map(({ h }) => {
    const seen = h.transcript;
    const at: TranscriptAtHook = { event: h.event, exists: seen?.exists ?? false };
    if (seen?.exists) {
      at.size = seen.size;
      if (seen.endsWithNewline !== undefined) at.endsWithNewline = seen.endsWithNewline;
      if (rollout !== undefined && seen.size !== undefined) at.lines = countLines(Buffer.from(rollout).subarray(0, seen.size).toString('utf8'));
    }
    return at;
  });
  const end = payloads.find(({ h }) => h.event === 'SessionEnd');
  const start = payloads.find(({ h }) => h.event === 'SessionStart');
  return {
    name: t.plan.name,
    args: t.plan.args,
    exitCode: t.run.code,
    threadId: t.threadId ?? null,
    hookEvents: t.hooks.map((h) => h.event),
    sessionStartSource: typeof start?.p.source === 'string' ? start.p.source : null,
    payloadKeys,
    sessionIdIsThreadId: payloads.length > 0 && payloads.every(({ p }) => p.session_id === t.threadId),
    transcriptPaths,
    transcriptAtHook,
    tools: payloads
      .filter(({ h }) => h.event === 'PreToolUse' || h.event === 'PostToolUse')
      .map(({ h, p }) => ({ event: h.event, tool_name: p.tool_name, tool_input: p.tool_input, ...('tool_response' in p ? { tool_response: p.tool_response } : {}) })),
    sessionEnd: end ? end.p : null,
    hookProcessChain: t.hooks[0] ? chainOf(t.hooks[0].processChain, cap.codexHome) : [],
    rolloutLines: rollout === undefined ? 0 : countLines(rollout),
    requests: t.requests.map((r) => ({ path: r.path, step: r.step, ...(r.auth ? { auth: r.auth } : {}) })),
    toolNames: t.requests[0]?.toolNames ?? [],
  };
}

export function codexFacts(cap: CodexCapture, version: string): CodexFacts {
  const turns = cap.turns.map((t) => turnFacts(cap, t));
  const last = cap.turns[cap.turns.length - 1];
  const rolloutFiles = Object.keys(last?.rollouts ?? {}).sort();
  const matches = rolloutFiles.map((f) => ROLLOUT_PATH.exec(f));
  const [exec, resume] = cap.turns;
  const execRollout = exec ? Object.entries(exec.rollouts) : [];
  const resumeAppends =
    execRollout.length === 1 &&
    resume !== undefined &&
    Object.keys(resume.rollouts).length === 1 &&
    resume.rollouts[execRollout[0]![0]] !== undefined &&
    resume.rollouts[execRollout[0]![0]]!.startsWith(execRollout[0]![1]) &&
    resume.rollouts[execRollout[0]![0]]!.length > execRollout[0]![1].length;
  const types = new Map<string, number>();
  let firstLine: CodexFacts['firstLine'] = null;
  const text = last ? Object.values(last.rollouts)[0] : undefined;
  for (const [i, line] of (text ?? '').split('\n').filter((l) => l !== '').entries()) {
    const obj = JSON.parse(line) as { type?: string; payload?: Record<string, unknown> & { type?: string } };
    const key = obj.payload?.type ? `${obj.type}/${obj.payload.type}` : String(obj.type);
    types.set(key, (types.get(key) ?? 0) + 1);
    if (i === 0) firstLine = { type: String(obj.type), payloadKeys: Object.keys(obj.payload ?? {}).sort() };
  }
  return {
    version,
    hooks: cap.hookList.map((h) => ({ event: h.eventName, trustStatus: h.trustStatus, enabled: h.enabled, timeoutSec: h.timeoutSec })).sort((a, b) => a.event.localeCompare(b.event)),
    rolloutFiles,
    rolloutPathMatches: matches.length > 0 && matches.every((m) => m !== null),
    rolloutIsThread: matches.length === 1 && turns.every((t) => t.threadId === matches[0]?.[4]),
    resumeAppendsToSameRollout: resumeAppends,
    rolloutLineTypes: [...types.entries()].map(([type, count]) => ({ type, count })).sort((a, b) => a.type.localeCompare(b.type)),
    firstLine,
    turns,
  };
}

/** Replace `dir` with the capture's sanitized fixtures and a README rendered from the facts. */
export function writeCodexFixtures(cap: CodexCapture, facts: CodexFacts, dir: string): string[] {
  const clean = makeSanitizer(cap, undefined, [[cap.codexHome, '<CODEX_HOME>']]);
  const { files, put } = resetFixtureDir(dir);
  const last = cap.turns[cap.turns.length - 1];
  for (const [rel, text] of Object.entries(last?.rollouts ?? {})) put(join('codex-home', rel), clean(text));
  const hooks = cap.turns.flatMap((t) => t.hooks.map((h) => JSON.stringify({ run: t.plan.name, ...h })));
  put('hooks.jsonl', clean(hooks.join('\n') + '\n'));
  const reqs = cap.turns.flatMap((t) => t.requests.map((r) => JSON.stringify({ run: t.plan.name, ...r })));
  put('requests.jsonl', clean(reqs.join('\n') + '\n'));
  const runs = cap.turns.map((t) => ({
    run: t.plan.name,
    args: t.plan.args,
    exitCode: t.run.code,
    durationMs: t.run.exitedAtMs - t.run.startedAtMs,
    threadId: t.threadId ?? null,
    stdoutEvents: t.run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as unknown),
    stderr: t.run.stderr,
    sessionFiles: t.sessionFiles,
  }));
  put('runs.json', clean(JSON.stringify(runs, null, 2) + '\n'));
  put('facts.json', clean(JSON.stringify(facts, null, 2) + '\n'));
  put('README.md', clean(renderReadme(facts)));
  return files;
}

function renderReadme(f: CodexFacts): string {
  const out: string[] = [];
  const cell = (v: unknown): string => `\`${JSON.stringify(v)}\``.replace(/\|/g, '\\|');
  out.push(`# Codex CLI ${f.version}: what the real client does`);
  out.push('');
  out.push(
    'Captured by `npm run test:real` (see `test/real/README.md`): the pinned `@openai/codex` CLI against a loopback stand-in of the Responses API (a `model_providers` entry with `wire_api = "responses"`), in a temp HOME and CODEX_HOME and a temp git project, with a recorder hook on every hook event Codex knows (no matcher). Regenerate with `REAL_CODEX_WRITE_FIXTURES=1 npm run test:real`; every fact below comes from that run.',
  );
  out.push('');
  out.push('What these facts mean for confab: `NOTES.md` (hand-written).');
  out.push('');
  out.push('Placeholders: `<CODEX_HOME>` the temp CODEX_HOME (`<HOME>/.codex`), `<HOME>` the temp HOME, `<PROJECT>` the project (cwd), `<ROOT>` the temp dir holding both, `<REPO>` this repository, `<NODE>` the node binary that ran the recorder.');
  out.push('');
  out.push('## Files');
  out.push('');
  out.push('- `hooks.jsonl`: one line per hook call: the recorder\'s record (event, argv, exact stdin, time, whether the rollout existed and its size, process chain up to the launcher, the hook\'s environment variable names), plus `run`');
  out.push('- `requests.jsonl`: every request the CLI sent to the stand-in (path, model, tools, input item types, which scripted step answered), plus `run`');
  out.push('- `runs.json`: each CLI run: argv, exit code, duration, the `--json` events, stderr, the listing of `$CODEX_HOME/sessions` after it');
  out.push('- `facts.json`: the derived facts this README is rendered from');
  out.push('- `codex-home/sessions/…`: the rollout after the last run');
  out.push('- `NOTES.md`: hand-written notes: what the facts mean for confab');
  out.push('');
  out.push('## Hooks as Codex sees them');
  out.push('');
  out.push('`codex app-server` `hooks/list` before the first run: ' + f.hooks.map((h) => `${h.event} (${h.trustStatus}${h.enabled ? '' : ', disabled'}, ${h.timeoutSec} s)`).join(', ') + '. A hook Codex does not trust is skipped without a word; its trust hash covers the normalized timeout.');
  out.push('');
  out.push('## Runs');
  out.push('');
  out.push('| run | argv (after `codex`) | hook events in order | SessionStart source | rollout lines after | requests (step) |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const t of f.turns) {
    const argv = t.args.map((a) => (a.includes(' ') ? `"${a.slice(0, 24)}…"` : a)).join(' ');
    out.push(`| ${t.name} | \`${argv}\` | ${t.hookEvents.join(' → ')} | ${t.sessionStartSource ?? '—'} | ${t.rolloutLines} | ${t.requests.map((r) => r.step).join(', ')} |`);
  }
  out.push('');
  out.push('## Facts');
  out.push('');
  out.push(`- Rollouts: ${f.rolloutFiles.map((r) => `\`${r}\``).join(', ')} — the path matches \`sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<thread uuid>.jsonl\`: ${f.rolloutPathMatches}; its uuid is every run's thread id: ${f.rolloutIsThread}.`);
  out.push(`- \`codex exec resume --last\` appends to the same rollout and leaves the earlier bytes as they were: ${f.resumeAppendsToSameRollout}.`);
  out.push(`- Each payload's \`session_id\` is the thread id: ${f.turns.map((t) => `${t.name} ${t.sessionIdIsThreadId}`).join(', ')}.`);
  for (const t of f.turns) {
    out.push(`- SessionEnd at the end of \`${t.name}\`: ${t.sessionEnd ? `fired with ${cell(t.sessionEnd)}` : 'not fired (Codex never started the hook)'}.`);
  }
  out.push(`- The rollout's first line: \`${f.firstLine?.type ?? '—'}\` with payload keys ${f.firstLine?.payloadKeys.map((k) => `\`${k}\``).join(', ') ?? '—'}.`);
  const first = f.turns[0];
  if (first) {
    out.push(`- Process chain above the hook command (the exec run): ${first.hookProcessChain.map((c) => `\`${c}\``).join(' → ')} → the launcher.`);
    out.push(`- Tools offered to the model: ${first.toolNames.map((n) => `\`${n}\``).join(', ')}.`);
  }
  out.push('');
  out.push('## Hook payloads');
  out.push('');
  out.push('| run | event | payload keys | rollout at the hook (exists, bytes, complete lines) |');
  out.push('| --- | --- | --- | --- |');
  for (const t of f.turns) {
    t.transcriptAtHook.forEach((at) => {
      const keys = t.payloadKeys[at.event] ?? [];
      out.push(`| ${t.name} | ${at.event} | ${keys.join(', ')} | ${at.exists ? `yes, ${at.size ?? '?'}, ${at.lines ?? '?'}${at.endsWithNewline === false ? ' (mid-line)' : ''}` : 'no'} |`);
    });
  }
  out.push('');
  out.push('Tool hooks:');
  out.push('');
  for (const t of f.turns) for (const tool of t.tools) out.push(`- ${t.name} ${tool.event}: \`tool_name\` ${cell(tool.tool_name)}, \`tool_input\` ${cell(tool.tool_input)}${'tool_response' in tool ? `, \`tool_response\` ${cell(tool.tool_response)}` : ''}`);
  out.push('');
  out.push('## Rollout line types (after the last run)');
  out.push('');
  out.push('| `type` / `payload.type` | lines |');
  out.push('| --- | --- |');
  for (const { type, count } of f.rolloutLineTypes) out.push(`| ${type} | ${count} |`);
  out.push('');
  return out.join('\n');
}
