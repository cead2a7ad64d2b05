import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentIdsInTranscript,
  deriveFacts,
  deriveInteractiveFacts,
  hookLabel,
  parseJsonl,
  parsePayload,
  type CaptureFacts,
  type InteractiveFacts,
} from './capture-facts.js';
import { findClaude, pinnedVersion } from './claude-harness.js';
import { CONTINUE_PROMPT, MAIN_PROMPT, REPLIES, RESUME_PROMPT, TOOL_IDS } from './fake-anthropic.js';
import { writeFixtures } from './fixture-writer.js';
import { hasTmux, runInteractiveSession, type InteractiveCapture } from './interactive-session.js';
import { runScriptedSession, type HookRecord, type SessionCapture, type TurnCapture } from './scripted-session.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const claude = findClaude();
const tmux = hasTmux();

// Both captures land in one fixture directory, written once both suites have run.
const captured: {
  print?: { cap: SessionCapture; facts: CaptureFacts };
  interactive?: { cap: InteractiveCapture; facts: InteractiveFacts };
} = {};

afterAll(() => {
  if (!claude || !captured.print) return;
  const { cap, facts } = captured.print;
  // Always leave a readable copy of the run; commit-ready fixtures only on request.
  writeFixtures(cap, facts, join(REPO_ROOT, 'test', 'artifacts', 'claude-code-real', claude.version), captured.interactive);
  if (process.env.REAL_CLAUDE_WRITE_FIXTURES === '1') {
    if (!captured.interactive) throw new Error('fixtures need the interactive capture too (is tmux installed?)');
    writeFixtures(cap, facts, join(REPO_ROOT, 'test', 'fixtures', 'claude-code-real', claude.version), captured.interactive);
  }
  if (process.env.REAL_CLAUDE_KEEP !== '1') {
    for (const c of [captured.print.cap, captured.interactive?.cap]) if (c) rmSync(c.root, { recursive: true, force: true });
  }
});
const title = claude
  ? `real Claude Code ${claude.version}`
  : 'real Claude Code (skipped: @anthropic-ai/claude-code is not installed under test/real; `npm run test:real` installs it)';
if (!claude) console.warn(`${title}`);

function turn(cap: SessionCapture, name: string): TurnCapture {
  const t = cap.turns.find((x) => x.plan.name === name);
  if (!t) throw new Error(`no turn ${name}`);
  return t;
}

const label = hookLabel;

describe.skipIf(!claude)(title, () => {
  let cap: SessionCapture;
  let facts: CaptureFacts;
  let sessionId: string;
  let transcriptPath: string;

  beforeAll(async () => {
    if (!claude) return;
    cap = await runScriptedSession({ bin: claude.bin });
    facts = deriveFacts(cap, claude.version);
    sessionId = cap.turns[0]?.sessionId ?? '';
    transcriptPath = join(cap.home, '.claude', 'projects', facts.projectKey, `${sessionId}.jsonl`);
    captured.print = { cap, facts };
  }, 150_000);

  it('runs the version test/real/package.json pins', () => {
    if (process.env.CLAUDE_CODE_BIN) return;
    expect(claude?.version).toBe(pinnedVersion());
  });

  it('answers every API request from the script (no unknown routes, no side requests left unanswered)', () => {
    const steps = cap.turns.flatMap((t) => t.requests.map((r) => `${r.path} ${r.step}`));
    expect(steps.filter((s) => s.endsWith('not-found') || s.endsWith('invalid'))).toEqual([]);
    expect(turn(cap, 'first').requests.map((r) => r.step)).toEqual(['main:bash', 'main:agent', 'sub:bash', 'sub:final', 'main:final']);
    expect(JSON.parse(turn(cap, 'first').run.stdout)).toMatchObject({ result: REPLIES.mainFinal, is_error: false });
  });

  it('fires the hooks in this order for a -p turn with a tool call and a foreground sub-agent', () => {
    expect(turn(cap, 'first').hooks.map(label)).toEqual([
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse:Bash',
      'PostToolUse:Bash',
      'PreToolUse:Agent',
      'SubagentStart@sub',
      'PreToolUse:Bash@sub',
      'PostToolUse:Bash@sub',
      'SubagentStop@sub',
      'PostToolUse:Agent',
      'Stop',
      'SessionEnd',
    ]);
    for (const name of ['continue', 'resume']) {
      expect(turn(cap, name).hooks.map(label)).toEqual(['SessionStart', 'UserPromptSubmit', 'Stop', 'SessionEnd']);
    }
  });

  it('hands every hook the session id, transcript path, cwd and event name', () => {
    for (const t of cap.turns) {
      for (const h of t.hooks) {
        const p = parsePayload(h);
        expect(p).toMatchObject({ session_id: sessionId, transcript_path: transcriptPath, cwd: cap.project, hook_event_name: h.event });
      }
    }
  });

  it('fills the event-specific payload fields', () => {
    const first = turn(cap, 'first');
    const byLabel = (t: TurnCapture, l: string): Record<string, unknown> => {
      const h = t.hooks.find((x) => label(x) === l);
      if (!h) throw new Error(`no ${l} hook`);
      return parsePayload(h);
    };
    expect(byLabel(first, 'SessionStart').source).toBe('startup');
    expect(byLabel(turn(cap, 'continue'), 'SessionStart').source).toBe('resume');
    expect(byLabel(turn(cap, 'resume'), 'SessionStart').source).toBe('resume');
    expect(byLabel(first, 'UserPromptSubmit').prompt).toBe(MAIN_PROMPT);
    expect(byLabel(turn(cap, 'continue'), 'UserPromptSubmit').prompt).toBe(CONTINUE_PROMPT);
    expect(byLabel(turn(cap, 'resume'), 'UserPromptSubmit').prompt).toBe(RESUME_PROMPT);
    expect(byLabel(first, 'PreToolUse:Bash')).toMatchObject({
      tool_name: 'Bash',
      tool_use_id: TOOL_IDS.mainBash,
      tool_input: { command: 'echo hello' },
      permission_mode: 'bypassPermissions',
    });
    const post = byLabel(first, 'PostToolUse:Bash');
    expect(post).toMatchObject({ tool_use_id: TOOL_IDS.mainBash, tool_response: { stdout: 'hello' } });
    const [sub] = facts.subagents;
    expect(byLabel(first, 'SubagentStart@sub')).toMatchObject({ agent_id: sub?.agentId, agent_type: 'general-purpose' });
    expect(byLabel(first, 'PreToolUse:Bash@sub')).toMatchObject({ agent_id: sub?.agentId, tool_use_id: TOOL_IDS.subBash });
    expect(byLabel(first, 'SubagentStop@sub')).toMatchObject({
      agent_id: sub?.agentId,
      agent_transcript_path: join(cap.home, '.claude', 'projects', sub?.file ?? ''),
      last_assistant_message: REPLIES.subFinal,
    });
    expect(byLabel(first, 'Stop')).toMatchObject({ last_assistant_message: REPLIES.mainFinal, stop_hook_active: false });
    for (const t of cap.turns) expect(byLabel(t, 'SessionEnd').reason).toBe('other');
  });

  it('creates the transcript only after UserPromptSubmit of a new session, and has it at every later SessionStart', () => {
    const hooks = turn(cap, 'first').hooks;
    const [start, prompt] = hooks;
    expect(start?.transcript).toEqual({ exists: false });
    expect(prompt?.transcript).toEqual({ exists: false });
    // Written as the turn runs, not before its first hook: at the first PreToolUse it is on disk
    // in some runs and not yet in others (both seen with this version). Once there, it stays.
    const exists = hooks.map((h) => h.transcript?.exists === true);
    const from = exists.indexOf(true);
    expect(from).toBeGreaterThan(1);
    expect(exists.slice(from).every(Boolean)).toBe(true);
    expect(hooks.find((h) => label(h) === 'Stop')?.transcript?.exists).toBe(true);
    for (const name of ['continue', 'resume']) expect(turn(cap, name).hooks[0]?.transcript?.exists).toBe(true);
  });

  it('keeps one session id and one transcript file across --continue and --resume, appending only', () => {
    expect(new Set(facts.sessionIds)).toEqual(new Set([sessionId]));
    const transcripts = (t: TurnCapture): string[] => Object.keys(t.projectFiles).filter((p) => /^[^/]+\/[^/]+\.jsonl$/.test(p));
    for (const t of cap.turns) expect(transcripts(t)).toEqual([`${facts.projectKey}/${sessionId}.jsonl`]);
    expect(facts.transcriptAppendOnly).toBe(true);
    // Within a turn too: the size each hook saw never shrinks.
    const sizes = cap.turns.flatMap((t) => t.hooks.map((h) => h.transcript?.size ?? 0));
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
  });

  it('writes parseable JSONL: the transcript and the sub-agent file at <session>/subagents/agent-<id>.jsonl', () => {
    expect(existsSync(transcriptPath)).toBe(true);
    for (const f of facts.files) expect(f.allLinesJson).toBe(true);
    const main = parseJsonl(readFileSync(transcriptPath, 'utf8'));
    for (const type of ['user', 'assistant']) expect(main.some((l) => l.type === type)).toBe(true);
    expect(facts.subagents).toHaveLength(1);
    const [sub] = facts.subagents;
    expect(sub?.file).toBe(`${facts.projectKey}/${sessionId}/subagents/agent-${sub?.agentId}.jsonl`);
    expect(sub?.namedInTranscript).toBe(true);
    expect(agentIdsInTranscript(readFileSync(transcriptPath, 'utf8'))).toEqual([sub?.agentId]);
    const lines = parseJsonl(readFileSync(join(cap.home, '.claude', 'projects', sub?.file ?? ''), 'utf8'));
    const conversational = lines.filter((l) => typeof l.uuid === 'string');
    expect(conversational.length).toBeGreaterThan(0);
    for (const l of conversational) expect(l).toMatchObject({ isSidechain: true, agentId: sub?.agentId, sessionId });
  });

  it('runs a hook as `/bin/sh -c <command>` in its own session, a child of the claude process', () => {
    const { hook, parent, grandparent } = facts.processTree;
    expect(hook.argv?.slice(-1)).toEqual(['SessionStart']);
    expect(parent.argv?.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(parent.sessionLeader).toBe(true);
    expect(grandparent.comm).toBe('claude');
    expect(facts.processTree.grandparentIsClaude).toBe(true);
    expect(facts.processTree.claudePidEnvMatches).toBe(true);
  });

  it('exits right after a quick SessionEnd hook, and leaves behind what a SessionStart hook started', () => {
    const first = facts.turns.find((t) => t.name === 'first');
    expect(first?.sessionEndToExitMs).toBeLessThan(1000);
    expect(first?.probes).toEqual({ detachedAlive: true, attachedAlive: true });
  });

  it('cancels a slow SessionEnd hook (SIGTERM) after its ~1.5 s budget unless the hook declares a timeout', () => {
    const end = (name: string): HookRecord | undefined => turn(cap, name).hooks.find((h) => h.event === 'SessionEnd');
    const cancelled = end('continue');
    expect(cancelled?.outcome?.phase).toBe('signal');
    expect(cancelled?.outcome?.signal).toBe('SIGTERM');
    const after = (cancelled?.outcome?.atMs ?? 0) - (cancelled?.receivedAtMs ?? 0);
    expect(after).toBeGreaterThan(900);
    expect(after).toBeLessThan(2500);
    expect(turn(cap, 'continue').run.stderr).toContain('Hook cancelled');
    const waited = end('resume');
    expect(waited?.outcome?.phase).toBe('finished');
    expect(turn(cap, 'resume').run.exitedAtMs).toBeGreaterThanOrEqual(waited?.outcome?.atMs ?? Infinity);
  });
});

const interactiveTitle = !claude
  ? 'interactive Claude Code (skipped: the CLI is not installed)'
  : tmux
    ? `interactive Claude Code ${claude.version} in tmux`
    : 'interactive Claude Code (skipped: tmux is not installed; apt-get install tmux)';
if (claude && !tmux) console.warn(interactiveTitle);

describe.skipIf(!claude || !tmux)(interactiveTitle, () => {
  let cap: InteractiveCapture;
  let facts: InteractiveFacts;
  const scenario = (name: string): InteractiveFacts['scenarios'][number] => {
    const s = facts.scenarios.find((x) => x.name === name);
    if (!s) throw new Error(`no scenario ${name}`);
    return s;
  };

  beforeAll(async () => {
    if (!claude) return;
    cap = await runInteractiveSession({ bin: claude.bin });
    facts = deriveInteractiveFacts(cap);
    captured.interactive = { cap, facts };
  }, 150_000);

  it('fires SessionStart at launch, before any prompt and before the transcript exists, and SessionEnd on /exit', () => {
    const s = scenario('prompt-then-exit');
    expect(s.hooks.slice(0, 2)).toEqual(['SessionStart', 'UserPromptSubmit']);
    expect(s.hooks[s.hooks.length - 1]).toBe('SessionEnd');
    expect(s.transcriptAtSessionStart).toBe(false);
    expect(s.transcriptAtSessionEnd).toBe(true);
    expect(s.sessionEndReason).toBe('prompt_input_exit');
  });

  it('returns from the Agent tool before the sub-agent finishes, and reports back with a <task-notification> prompt', () => {
    const s = scenario('prompt-then-exit');
    expect(s.hooks).toContain('SubagentStart@sub');
    expect(s.subagentFinishedAfterAgentToolReturned).toBe(true);
    expect(s.taskNotificationPrompt).toBe(true);
    const files = Object.keys(cap.scenarios[0]?.projectFiles ?? {});
    expect(files.filter((f) => f.includes('/subagents/agent-') && f.endsWith('.jsonl'))).toHaveLength(1);
  });

  it('never creates a transcript for a session that exits without a prompt', () => {
    const s = scenario('exit-without-prompt');
    expect(s.hooks).toEqual(['SessionStart', 'SessionEnd']);
    expect(s.transcriptAtSessionStart).toBe(false);
    expect(s.transcriptAtSessionEnd).toBe(false);
    expect(s.transcriptFileAfterExit).toBe(false);
    expect(s.sessionEndReason).toBe('prompt_input_exit');
  });

  it('keeps ~/.claude/sessions/<pid>.json naming the session while it runs, and removes it at exit', () => {
    for (const sc of cap.scenarios) {
      const id = scenario(sc.name).sessionId;
      expect(JSON.parse(sc.sessionsFile ?? 'null')).toMatchObject({ pid: sc.claudePid, sessionId: id, kind: 'interactive' });
      expect(sc.sessionsFileAfterExit).toBe(false);
    }
  });

  it('runs hooks under /bin/sh -c, a child of the claude process', () => {
    const start = cap.scenarios[0]?.hooks.find((h) => h.event === 'SessionStart');
    expect(start?.processChain[1]?.argv?.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(start?.processChain[2]).toMatchObject({ pid: cap.scenarios[0]?.claudePid, comm: 'claude' });
  });
});
