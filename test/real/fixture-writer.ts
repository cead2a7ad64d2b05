import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaptureFacts, InteractiveFacts, LineTypeCount, ProcFact } from './capture-facts.js';
import type { InteractiveCapture } from './interactive-session.js';
import type { HookRecord, ProcEntry, SessionCapture } from './scripted-session.js';

/**
 * Writes a capture as sanitized fixtures: temp paths become placeholders, so the files are
 * stable to read and carry nothing of the machine that recorded them.
 */

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

export type Sanitize = (text: string) => string;

/**
 * Placeholders, longest path first so a home inside the temp root is named as the home;
 * `extra` pairs go first (paths deeper than the home).
 */
export function makeSanitizer(cap: { root: string; home: string; project: string }, projectKey?: string, extra: Array<[string, string]> = []): Sanitize {
  const pairs: Array<[string, string]> = [
    ...extra,
    [cap.home, '<HOME>'],
    [cap.project, '<PROJECT>'],
    [cap.root, '<ROOT>'],
    ...(projectKey ? [[projectKey, '<PROJECT_KEY>'] as [string, string]] : []),
    [REPO_ROOT, '<REPO>'],
    [process.execPath, '<NODE>'],
  ];
  const rootName = basename(cap.root);
  return (text) => {
    let out = text;
    for (const [from, to] of pairs) out = out.split(from).join(to);
    // Any other spelling of the temp root (an encoded form we did not predict) is a leak.
    if (out.includes(rootName)) throw new Error(`sanitizing left the temp dir name ${rootName} in the output`);
    return out;
  };
}

/**
 * Empty `dir` for fixtures about to be regenerated; NOTES.md is written by hand (what the
 * numbers mean) and survives. `put` writes a file under `dir` and lists it in `files`.
 */
export function resetFixtureDir(dir: string): { files: string[]; put: (rel: string, text: string) => void } {
  const notesPath = join(dir, 'NOTES.md');
  const notes = existsSync(notesPath) ? readFileSync(notesPath, 'utf8') : null;
  rmSync(dir, { recursive: true, force: true });
  if (notes !== null) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(notesPath, notes);
  }
  const files: string[] = [];
  const put = (rel: string, text: string): void => {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    files.push(rel);
  };
  return { files, put };
}

export interface WrittenFixtures {
  dir: string;
  files: string[];
}

/**
 * Replace `dir` with the capture's fixtures and a README rendered from the facts; the
 * interactive capture, when there is one, goes to `dir/interactive/`.
 */
export function writeFixtures(
  cap: SessionCapture,
  facts: CaptureFacts,
  dir: string,
  interactive?: { cap: InteractiveCapture; facts: InteractiveFacts },
): WrittenFixtures {
  const clean = makeSanitizer(cap, facts.projectKey);
  const { files, put } = resetFixtureDir(dir);
  const last = cap.turns[cap.turns.length - 1];
  if (!last) throw new Error('the capture has no turns');

  for (const [rel, text] of Object.entries(last.projectFiles)) {
    // Every file sits under the one project key directory, which project-dir/ stands for.
    put(join('project-dir', rel.split('/').slice(1).join('/')), clean(text));
  }
  const hookLines = cap.turns.flatMap((t) => t.hooks.map((h) => JSON.stringify({ turn: t.plan.name, ...h })));
  put('hooks.jsonl', clean(hookLines.join('\n') + '\n'));
  const reqLines = cap.turns.flatMap((t) => t.requests.map((r) => JSON.stringify({ turn: t.plan.name, ...r })));
  put('requests.jsonl', clean(reqLines.join('\n') + '\n'));
  const runs = cap.turns.map((t) => ({
    turn: t.plan.name,
    plan: t.plan,
    args: t.args,
    exitCode: t.run.code,
    durationMs: t.run.exitedAtMs - t.run.startedAtMs,
    sessionId: t.sessionId,
    result: JSON.parse(t.run.stdout) as unknown,
    stderr: t.run.stderr,
    claudeFiles: t.claudeFiles,
    ...(t.probes ? { probes: t.probes } : {}),
  }));
  put('runs.json', clean(JSON.stringify(runs, null, 2) + '\n'));
  put('facts.json', clean(JSON.stringify(facts, null, 2) + '\n'));
  let interactiveSection = '';
  if (interactive) {
    const iclean = makeSanitizer(interactive.cap, interactive.facts.projectKey);
    const last = interactive.cap.scenarios[interactive.cap.scenarios.length - 1];
    for (const [rel, text] of Object.entries(last?.projectFiles ?? {})) {
      put(join('interactive', 'project-dir', rel.split('/').slice(1).join('/')), iclean(text));
    }
    const hooks = interactive.cap.scenarios.flatMap((sc) => sc.hooks.map((h) => JSON.stringify({ scenario: sc.name, ...stopAtClient(h) })));
    put('interactive/hooks.jsonl', iclean(hooks.join('\n') + '\n'));
    const reqs = interactive.cap.scenarios.flatMap((sc) => sc.requests.map((r) => JSON.stringify({ scenario: sc.name, ...r })));
    put('interactive/requests.jsonl', iclean(reqs.join('\n') + '\n'));
    const scenarios = interactive.cap.scenarios.map((sc) => ({
      scenario: sc.name,
      prompt: sc.prompt,
      durationMs: sc.exitedAtMs - sc.startedAtMs,
      sessionsFileWhileRunning: sc.sessionsFile === null ? null : (JSON.parse(sc.sessionsFile) as unknown),
      sessionsFileAfterExit: sc.sessionsFileAfterExit,
      claudeFiles: sc.claudeFiles,
      readyScreen: sc.readyScreen,
    }));
    put('interactive/scenarios.json', iclean(JSON.stringify(scenarios, null, 2) + '\n'));
    put('interactive/facts.json', iclean(JSON.stringify(interactive.facts, null, 2) + '\n'));
    interactiveSection = iclean(renderInteractive(interactive.facts));
  }
  put('README.md', clean(renderReadme(facts, files)) + interactiveSection);
  return { dir, files };
}

/** The process chain up to the client's launcher (tmux's server is named, not described). */
function stopAtClient(h: HookRecord): HookRecord {
  const chain: ProcEntry[] = [];
  for (const p of h.processChain) {
    if (p.comm?.startsWith('tmux')) {
      chain.push({ pid: p.pid, comm: p.comm, launcher: true });
      break;
    }
    chain.push(p);
  }
  return { ...h, processChain: chain };
}

function renderInteractive(f: InteractiveFacts): string {
  const out: string[] = ['', '## Interactive client (tmux)', ''];
  out.push(
    'The same CLI without `-p`, in a tmux pane (`claude --permission-mode bypassPermissions`, first-run dialogs answered ahead in `~/.claude.json`): type the main prompt, wait for the sub-agent, `/exit`; then a second launch that exits without a prompt. Files under `interactive/` (same layout; `scenarios.json` holds `~/.claude/sessions/<pid>.json` as read while the client ran).',
  );
  out.push('');
  out.push('| scenario | hook calls in order | transcript at SessionStart / SessionEnd / after exit | SessionEnd reason | SessionEnd received → exit ms | sessions/<pid>.json while running / after exit | claude\'s parent |');
  out.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const s of f.scenarios) {
    out.push(
      `| ${s.name} | ${s.hooks.join(' → ')} | ${yes(s.transcriptAtSessionStart)} / ${yes(s.transcriptAtSessionEnd)} / ${yes(s.transcriptFileAfterExit)} | ${s.sessionEndReason ?? ''} | ${s.sessionEndToExitMs ?? ''} | ${yes(s.sessionsFileWhileRunning)} / ${yes(s.sessionsFileAfterExit)} | ${s.claudeParentComm ?? ''} |`,
    );
  }
  out.push('');
  const withAgent = f.scenarios.find((s) => s.subagentFinishedAfterAgentToolReturned !== null);
  if (withAgent) {
    out.push(
      `The \`Agent\` call (sent with \`run_in_background: false\`) returned before its sub-agent finished: ${yes(withAgent.subagentFinishedAfterAgentToolReturned)}; the sub-agent's result came back as a new UserPromptSubmit whose prompt is a \`<task-notification>\`: ${yes(withAgent.taskNotificationPrompt)}.`,
    );
    out.push('');
  }
  return out.join('\n');
}

function typeTable(rows: readonly LineTypeCount[], head: string): string {
  const lines = [`| ${head} | subtype | count |`, '| --- | --- | --- |'];
  for (const r of rows) lines.push(`| \`${r.type}\` | ${r.subtype ? `\`${r.subtype}\`` : ''} | ${r.count} |`);
  return lines.join('\n');
}

function proc(p: ProcFact): string {
  const argv = p.argv ? p.argv.map((a) => (a.length > 80 ? a.slice(0, 77) + '...' : a)) : [];
  return `comm \`${p.comm}\`, exe \`${p.exe ?? '?'}\`, argv \`${JSON.stringify(argv)}\`, process-group leader: ${p.groupLeader ? 'yes' : 'no'}, session leader: ${p.sessionLeader ? 'yes' : 'no'}`;
}

function yes(b: boolean | null): string {
  return b === null ? 'n/a' : b ? 'yes' : 'no';
}

export function renderReadme(f: CaptureFacts, files: readonly string[]): string {
  const out: string[] = [];
  const [first] = f.turns;
  out.push(`# Claude Code ${f.version}: what the real client writes`);
  out.push('');
  out.push(
    'Captured by `npm run test:real` (see `test/real/README.md`): the pinned `@anthropic-ai/claude-code` CLI, run with `-p` against a loopback stand-in of the Messages API, in a temp HOME and a temp git project, with a recorder hook on every event. Regenerate with `REAL_CLAUDE_WRITE_FIXTURES=1 npm run test:real`; every number below comes from that run.',
  );
  out.push('');
  out.push('What these numbers mean for confab, and what was surprising: `NOTES.md` (hand-written).');
  out.push('');
  out.push('Placeholders: `<HOME>` the temp HOME, `<PROJECT>` the project (cwd), `<ROOT>` the temp dir holding both, `<PROJECT_KEY>` the directory name Claude Code derived from the cwd under `~/.claude/projects/`, `<REPO>` this repository, `<NODE>` the node binary that ran the recorder.');
  out.push('');
  out.push('## Files');
  out.push('');
  const describe = (p: string): string => {
    if (p === 'hooks.jsonl') return 'one line per hook call: the recorder\'s record (event, argv, exact stdin, time, transcript existence, process chain up to the launcher, the hook\'s environment variable names), plus `turn`';
    if (p === 'requests.jsonl') return 'every request the CLI sent to the API stand-in (path, model, stream, which scripted step answered), plus `turn`';
    if (p === 'runs.json') return 'each CLI run: argv, exit code, duration, the `--output-format json` result, stderr, and the listing of `~/.claude` after it';
    if (p === 'facts.json') return 'the derived facts this README is rendered from';
    if (p === 'README.md') return 'this file';
    if (p === 'NOTES.md') return 'hand-written notes: what the facts mean for confab';
    if (p.endsWith('.meta.json')) return 'the sub-agent\'s meta file, next to its transcript';
    if (p.endsWith('.json') && p.startsWith('project-dir/')) return 'a JSON file Claude Code keeps in the project directory';
    if (p.includes('/subagents/')) return 'the sub-agent transcript';
    if (p === 'interactive/hooks.jsonl') return 'hook calls of the interactive runs, plus `scenario`';
    if (p === 'interactive/requests.jsonl') return 'API requests of the interactive runs';
    if (p === 'interactive/scenarios.json') return 'each interactive run: duration, `~/.claude/sessions/<pid>.json` as read while it ran, the `~/.claude` listing, the screen when it was ready';
    if (p === 'interactive/facts.json') return 'the derived facts of the interactive runs';
    return 'the session transcript (all turns)';
  };
  for (const p of [...files, 'README.md', 'NOTES.md'].sort()) out.push(`- \`${p}\`: ${describe(p)}`);
  out.push('');
  out.push('`project-dir/` stands for `<HOME>/.claude/projects/<PROJECT_KEY>/`.');
  out.push('');
  out.push('## Runs');
  out.push('');
  out.push('| turn | argv (after `claude`) | session id | duration ms | SessionEnd received → exit ms | stderr |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const t of f.turns) {
    const argv = t.args.map((a) => (a.includes(' ') ? `"${a.slice(0, 30)}…"` : a)).join(' ');
    out.push(`| ${t.name} | \`${argv}\` | \`${t.sessionId}\` | ${t.durationMs} | ${t.sessionEndToExitMs ?? 'n/a'} | ${t.stderr.trim() ? `\`${t.stderr.trim().replace(/\|/g, '\\|')}\`` : ''} |`);
  }
  out.push('');
  const mainFiles = (t: (typeof f.turns)[number]): string[] => t.jsonlFiles.filter((p) => !p.includes('/subagents/'));
  out.push(`Session id reused by \`--continue\` and \`--resume\`: ${yes(new Set(f.sessionIds).size === 1)}. Session transcripts (not counting sub-agent files) after each turn: ${f.turns.map((t) => `${t.name}: ${mainFiles(t).map((p) => `\`${p}\``).join(', ')}`).join('; ')}. Earlier content left byte-for-byte in place (append-only across turns): ${yes(f.transcriptAppendOnly)}.`);
  out.push('');
  out.push('Transcript bytes the SessionEnd hook saw → after the CLI exited: ' + f.turns.map((t) => `${t.name}: ${t.transcriptBytesAtSessionEnd ?? 'n/a'} → ${t.transcriptBytesAfterExit}`).join('; ') + '.');
  const subs = f.turns.flatMap((t) => t.subagentBytes);
  if (subs.length > 0) {
    out.push('');
    out.push('Sub-agent file bytes the SubagentStop hook saw → after the CLI exited: ' + subs.map((s) => `\`${s.agentId}\`: ${s.atSubagentStop ?? 'n/a'} → ${s.afterExit}`).join('; ') + '.');
  }
  out.push('');
  out.push('## Hook calls, in order');
  out.push('');
  for (const t of f.turns) {
    out.push(`### ${t.name}`);
    out.push('');
    out.push('| # | event | detail | in sub-agent | ms after start | transcript exists | transcript bytes | ends on a line boundary | outcome |');
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    t.hooks.forEach((h, i) => {
      const outcome = h.outcome ? `${h.outcome.phase}${h.outcome.signal ? ` ${h.outcome.signal}` : ''} after ${h.outcome.afterMs} ms` : '';
      out.push(`| ${i + 1} | ${h.event} | ${h.detail ?? ''} | ${h.inSubagent ? 'yes' : ''} | ${h.atMs} | ${yes(h.transcriptExists)} | ${h.transcriptSize ?? ''} | ${yes(h.transcriptEndsWithNewline)} | ${outcome} |`);
    });
    out.push('');
  }
  const firstStart = first?.hooks.find((h) => h.event === 'SessionStart');
  out.push(`Transcript existed at the first SessionStart: ${yes(firstStart?.transcriptExists ?? null)}.`);
  out.push('');
  out.push('## Payload keys per event');
  out.push('');
  for (const [k, v] of Object.entries(f.payloadKeys).sort()) out.push(`- ${k}: ${v.map((x) => `\`${x}\``).join(', ')}`);
  out.push('');
  out.push('## Process tree above a hook command');
  out.push('');
  out.push(`- hook process: ${proc(f.processTree.hook)}`);
  out.push(`- its parent: ${proc(f.processTree.parent)}`);
  out.push(`- its grandparent: ${proc(f.processTree.grandparent)}`);
  out.push(`- the grandparent is the \`claude\` process the test started: ${yes(f.processTree.grandparentIsClaude)}; \`CLAUDE_PID\` in the hook's environment equals that pid: ${yes(f.processTree.claudePidEnvMatches)}`);
  out.push(`- CLAUDE* variables the hook inherits: ${f.processTree.hookEnvClaudeVars.map((v) => `\`${v}\``).join(', ')}`);
  if (first?.probes) {
    out.push(`- a process the SessionStart hook left behind, detached into its own session, was alive after the CLI exited: ${yes(first.probes.detachedAlive)}; one left in the hook's own process group: ${yes(first.probes.attachedAlive)}`);
  }
  out.push('');
  out.push('## Sub-agents');
  out.push('');
  for (const s of f.subagents) {
    out.push(`- \`${s.agentId}\`: \`${s.file}\`${s.metaFile ? ` with \`${s.metaFile}\`` : ''}; named by \`toolUseResult.agentId\` in the main transcript: ${yes(s.namedInTranscript)}`);
  }
  out.push('');
  out.push('## Line types');
  out.push('');
  for (const file of f.files) {
    out.push(`### \`${file.path}\``);
    out.push('');
    out.push(`${file.lines} lines, ${file.bytes} bytes, longest line ${file.maxLineBytes} bytes, every line a JSON object: ${yes(file.allLinesJson)}.`);
    out.push('');
    out.push(typeTable(file.types, 'type'));
    out.push('');
    if (file.attachmentTypes.length > 0) {
      out.push('`attachment` lines by `attachment.type`:');
      out.push('');
      out.push(typeTable(file.attachmentTypes, 'attachment.type'));
      out.push('');
    }
  }
  out.push('## API requests');
  out.push('');
  out.push('| turn | path | model | stream | answered by | messages |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const t of f.turns) {
    for (const r of t.requests) out.push(`| ${t.name} | ${r.path} | ${r.model ?? ''} | ${r.stream === undefined ? '' : String(r.stream)} | ${r.step} | ${r.messageCount ?? ''} |`);
  }
  out.push('');
  return out.join('\n');
}
