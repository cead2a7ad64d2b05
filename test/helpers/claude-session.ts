import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './sandbox.js';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/claude-code-real/2.1.332/project-dir');
const FIXTURE_SESSION = '958a0291-14d6-41d4-abad-e3757ff1ad70';
const FIXTURE_AGENT = 'aa8934ac9a2623aee';

function fixtureLines(rel: string): string[] {
  const text = readFileSync(join(FIXTURE, rel), 'utf8');
  return text.split('\n').slice(0, -1).map((l) => `${l}\n`);
}

/**
 * Replays a real Claude Code 2.1.332 session (captured by the real-client suite) into a
 * sandbox's ~/.claude: the main transcript and one sub-agent file, appended line by line as
 * the real client writes them.
 */
export class ReplayedClaudeSession {
  readonly sessionId: string;
  readonly projectDir: string;
  readonly transcriptPath: string;
  readonly agentId = FIXTURE_AGENT;
  readonly agentPath: string;
  readonly cwd: string;
  private readonly main = fixtureLines(`${FIXTURE_SESSION}.jsonl`);
  private readonly agent = fixtureLines(`${FIXTURE_SESSION}/subagents/agent-${FIXTURE_AGENT}.jsonl`);
  private mainPos = 0;
  private agentPos = 0;

  constructor(claudeDir: string, opts: { sessionId?: string; cwd?: string; project?: string } = {}) {
    this.sessionId = opts.sessionId ?? FIXTURE_SESSION;
    this.cwd = opts.cwd ?? '/work/app';
    this.projectDir = join(claudeDir, 'projects', opts.project ?? '-work-app');
    this.transcriptPath = join(this.projectDir, `${this.sessionId}.jsonl`);
    this.agentPath = join(this.projectDir, this.sessionId, 'subagents', `agent-${FIXTURE_AGENT}.jsonl`);
    mkdirSync(this.projectDir, { recursive: true });
  }

  get totalMainLines(): number {
    return this.main.length;
  }

  /** Index of the main-transcript line that names the sub-agent (its tool result). */
  get agentReferenceLine(): number {
    return this.main.findIndex((l) => l.includes(`"agentId":"${FIXTURE_AGENT}"`));
  }

  appendMain(count = 1): void {
    const lines = this.main.slice(this.mainPos, this.mainPos + count);
    this.mainPos += lines.length;
    if (lines.length) appendFileSync(this.transcriptPath, lines.join(''));
  }

  appendMainUntil(index: number): void {
    if (index > this.mainPos) this.appendMain(index - this.mainPos);
  }

  appendAgent(count = 1): void {
    const lines = this.agent.slice(this.agentPos, this.agentPos + count);
    this.agentPos += lines.length;
    mkdirSync(dirname(this.agentPath), { recursive: true });
    if (lines.length) appendFileSync(this.agentPath, lines.join(''));
  }

  appendRest(): void {
    this.appendAgent(this.agent.length);
    this.appendMain(this.main.length);
  }

  /** Extra lines (beyond the fixture), e.g. what a session writes in its last second. */
  appendRaw(file: 'main' | 'agent', line: string): void {
    appendFileSync(file === 'main' ? this.transcriptPath : this.agentPath, `${line}\n`);
  }

  payload(event: 'SessionStart' | 'SessionEnd' | 'UserPromptSubmit', extra: Record<string, unknown> = {}): string {
    return JSON.stringify({
      session_id: this.sessionId,
      transcript_path: this.transcriptPath,
      cwd: this.cwd,
      permission_mode: 'bypassPermissions',
      hook_event_name: event,
      ...(event === 'SessionStart' ? { source: 'startup' } : {}),
      ...(event === 'SessionEnd' ? { reason: 'other' } : {}),
      ...extra,
    });
  }
}
