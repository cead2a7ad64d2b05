import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TrackedFileSpec } from 'confab-cli/provider';
import { AGENTS, TranscriptBuilder, tempDir, uuid, writeSessionFixture, type SessionFixture } from './fixtures.js';
import { createHarness, transcriptSpec, type Harness } from './harness.js';

let tmp: ReturnType<typeof tempDir>;
let fx: SessionFixture;
let h: Harness;

beforeEach(() => {
  tmp = tempDir();
  fx = writeSessionFixture(join(tmp.path, '.claude'));
  h = createHarness({ externalId: fx.sessionId, transcriptPath: fx.transcriptPath, cwd: fx.cwd });
});

afterEach(() => tmp.cleanup());

function names(files: Iterable<TrackedFileSpec>): string[] {
  return [...files].map((f) => f.name).sort();
}

const WORKFLOW_AGENT = `subagents/workflows/run_01HZX9/agent-${AGENTS.workflow}.jsonl`;
const WORKFLOW_JOURNAL = 'subagents/workflows/run_01HZX9/journal.jsonl';

describe('sub-agent discovery', () => {
  it('finds every sub-agent of a session, transitively, plus the workflow run', async () => {
    const tracked = new Map([[transcriptSpec(h.session).name, transcriptSpec(h.session)]]);
    await h.cycle(tracked, new Set());
    expect(names(tracked.values())).toEqual(
      [
        `${fx.sessionId}.jsonl`,
        `agent-${AGENTS.first}.jsonl`,
        `agent-${AGENTS.nested}.jsonl`,
        `agent-${AGENTS.nestedForm}.jsonl`,
        `agent-${AGENTS.unreferenced}.jsonl`,
        WORKFLOW_AGENT,
        WORKFLOW_JOURNAL,
      ].sort(),
    );
    const byName = Object.fromEntries([...tracked].map(([n, f]) => [n, f]));
    expect(byName[`agent-${AGENTS.nested}.jsonl`]).toEqual({ name: `agent-${AGENTS.nested}.jsonl`, path: join(fx.subagentsDir, `agent-${AGENTS.nested}.jsonl`), type: 'agent' });
    expect(byName[WORKFLOW_AGENT]).toEqual({ name: WORKFLOW_AGENT, path: join(fx.workflowRunDir, `agent-${AGENTS.workflow}.jsonl`), type: 'agent' });
    expect(byName[WORKFLOW_JOURNAL]?.type).toBe('workflow_journal');
    // The ids were collected from the uploaded lines (the transcript and the first agent).
    expect([...(await sidechainIds(h))].sort()).toEqual([AGENTS.first, AGENTS.nested, AGENTS.nestedForm].sort());
  });

  it('finds sub-agents by directory scan alone, as after a restart (no ids seen)', async () => {
    const files = await h.discover(new Map([[transcriptSpec(h.session).name, transcriptSpec(h.session)]]), 1);
    expect(names(files)).toEqual([`${fx.sessionId}.jsonl`, `agent-${AGENTS.first}.jsonl`, `agent-${AGENTS.nested}.jsonl`, `agent-${AGENTS.nestedForm}.jsonl`, `agent-${AGENTS.unreferenced}.jsonl`].sort());
  });

  it('follows ids transitively where no directory scan reaches (agents next to the transcript)', async () => {
    // Sessions from before Claude Code's subagents/ dir kept agent files in the project dir,
    // shared by every session of the project: only ids tell which are this session's.
    const sessionId = uuid(3);
    const transcriptPath = join(fx.projectDir, `${sessionId}.jsonl`);
    const c = { sessionId, cwd: fx.cwd, gitBranch: 'main' };
    new TranscriptBuilder(c).user('Old layout').task('legacy0001', 'go').write(transcriptPath);
    new TranscriptBuilder({ ...c, isSidechain: true, agentId: 'legacy0001' }).user('go').task('legacy0002', 'deeper').write(join(fx.projectDir, 'agent-legacy0001.jsonl'));
    new TranscriptBuilder({ ...c, isSidechain: true, agentId: 'legacy0002' }).user('deeper').write(join(fx.projectDir, 'agent-legacy0002.jsonl'));
    new TranscriptBuilder({ ...c, isSidechain: true, agentId: 'otherses01' }).user('not ours').write(join(fx.projectDir, 'agent-otherses01.jsonl'));

    const old = createHarness({ externalId: sessionId, transcriptPath, cwd: fx.cwd });
    const tracked = new Map([[transcriptSpec(old.session).name, transcriptSpec(old.session)]]);
    expect(names(await old.discover(tracked, 0))).toEqual([`${sessionId}.jsonl`]);
    await old.cycle(tracked, new Set());
    expect(names(tracked.values())).toEqual([`${sessionId}.jsonl`, 'agent-legacy0001.jsonl', 'agent-legacy0002.jsonl']);
    expect(tracked.get('agent-legacy0002.jsonl')?.path).toBe(join(fx.projectDir, 'agent-legacy0002.jsonl'));
  });

  it('picks up an agent whose file appears after its id was seen', async () => {
    const late = 'late00agent1';
    const chunkFile = transcriptSpec(h.session);
    await h.chunk(chunkFile, new TranscriptBuilder({ sessionId: fx.sessionId, cwd: fx.cwd }).task(late, 'x').rawLines());
    const tracked = new Map([[chunkFile.name, chunkFile]]);
    expect(names(await h.discover(tracked, 1))).not.toContain(`agent-${late}.jsonl`);
    writeFileSync(join(fx.subagentsDir, `agent-${late}.jsonl`), '{"type":"user"}\n');
    expect(names(await h.discover(tracked, 2))).toContain(`agent-${late}.jsonl`);
  });

  it('re-points files the backend already knows at their local paths (restart, moved layout)', async () => {
    const stale: TrackedFileSpec[] = [
      transcriptSpec(h.session),
      { name: `agent-${AGENTS.first}.jsonl`, path: '/nowhere/agent.jsonl', type: 'agent' },
      { name: WORKFLOW_JOURNAL, path: '/nowhere/journal.jsonl', type: 'agent' },
      { name: 'subagents/workflows/../../x/journal.jsonl', path: '/nowhere/x', type: 'workflow_journal' },
      { name: 'opencode/child/messages.jsonl', path: '/elsewhere/m.jsonl', type: 'agent' },
    ];
    h.capabilities.answer = new Error('backend unreachable');
    const files = await h.discover(new Map(stale.map((f) => [f.name, f])), 0);
    const byName = new Map(files.map((f) => [f.name, f]));
    expect(byName.get(`agent-${AGENTS.first}.jsonl`)?.path).toBe(join(fx.subagentsDir, `agent-${AGENTS.first}.jsonl`));
    expect(byName.get(WORKFLOW_JOURNAL)).toEqual({ name: WORKFLOW_JOURNAL, path: join(fx.workflowRunDir, 'journal.jsonl'), type: 'workflow_journal' });
    // Names that are not safe paths, or not this provider's, are left exactly as they were.
    expect(byName.get('subagents/workflows/../../x/journal.jsonl')?.path).toBe('/nowhere/x');
    expect(byName.get('opencode/child/messages.jsonl')?.path).toBe('/elsewhere/m.jsonl');
    expect(byName.get(transcriptSpec(h.session).name)).toEqual(transcriptSpec(h.session));
  });

  it('keeps files the engine passes and files it already tracks', async () => {
    const extra: TrackedFileSpec = { name: 'custom.jsonl', path: '/x/custom.jsonl', type: 'agent' };
    const files = await h.discover(new Map([[transcriptSpec(h.session).name, transcriptSpec(h.session)]]), 1, [extra]);
    expect(names(files)).toContain('custom.jsonl');
    expect(names(files)).toContain(`${fx.sessionId}.jsonl`);
  });
});

describe('workflow files and backend capabilities', () => {
  const base = (): Map<string, TrackedFileSpec> => new Map([[transcriptSpec(h.session).name, transcriptSpec(h.session)]]);

  it.each([
    [{ workflow_files: true, workflow_journal: true }, [WORKFLOW_AGENT, WORKFLOW_JOURNAL]],
    [{ workflow_files: true, workflow_journal: false }, [WORKFLOW_AGENT]],
    [{ workflow_files: false, workflow_journal: true }, [WORKFLOW_JOURNAL]],
    [{ workflow_files: false, workflow_journal: false }, []],
  ])('uploads what %j allows', async (caps, expected) => {
    h.capabilities.answer = { ...caps, opencode_subagents: false };
    const files = await h.discover(base(), 0);
    expect(names(files).filter((n) => n.startsWith('subagents/'))).toEqual(expected);
    // Never the run's metadata, wf_<run>.json or scripts.
    expect(names(files).some((n) => /\.json$|\.js$/.test(n))).toBe(false);
  });

  it('treats a failed probe as unknown and asks again next cycle', async () => {
    h.capabilities.answer = new Error('503');
    expect(names(await h.discover(base(), 0)).filter((n) => n.startsWith('subagents/'))).toEqual([]);
    expect(h.capabilities.probes).toBe(1);
    // Later rounds of the same cycle do not probe again.
    await h.discover(base(), 1);
    expect(h.capabilities.probes).toBe(1);
    h.capabilities.answer = { workflow_files: true, workflow_journal: true, opencode_subagents: false };
    expect(names(await h.discover(base(), 0)).filter((n) => n.startsWith('subagents/'))).toEqual([WORKFLOW_AGENT, WORKFLOW_JOURNAL]);
    expect(h.capabilities.probes).toBe(2);
  });

  it('does not probe when there is no untracked workflow file', async () => {
    const plain = join(tmp.path, 'plain');
    mkdirSync(plain);
    const sessionId = uuid(5);
    const transcriptPath = join(plain, `${sessionId}.jsonl`);
    new TranscriptBuilder({ sessionId, cwd: '/x' }).user('hi').write(transcriptPath);
    const p = createHarness({ externalId: sessionId, transcriptPath, cwd: '/x' });
    await p.discover(new Map(), 0);
    expect(p.capabilities.probes).toBe(0);

    const all = await h.discover(base(), 0);
    const probes = h.capabilities.probes;
    await h.discover(new Map(all.map((f) => [f.name, f])), 0);
    expect(h.capabilities.probes).toBe(probes);
  });
});

async function sidechainIds(harness: Harness): Promise<Set<string>> {
  // The ids live in the provider's per-daemon memory; observe them through discovery of
  // files created now under their names.
  const ids = [AGENTS.first, AGENTS.nested, AGENTS.nestedForm, AGENTS.unreferenced, 'neverseen01'];
  const elsewhere = join(tmp.path, 'observe');
  mkdirSync(elsewhere, { recursive: true });
  const transcriptPath = join(elsewhere, `${harness.session.externalId}.jsonl`);
  writeFileSync(transcriptPath, '');
  for (const id of ids) writeFileSync(join(elsewhere, `agent-${id}.jsonl`), '');
  const seen = new Set<string>();
  const files = await harness.hooks.discoverFiles.promise([], {
    provider: 'claude-code',
    externalId: harness.session.externalId,
    transcriptPath,
    cwd: fx.cwd,
    tracked: new Map(),
    round: 1,
    capabilities: async () => {
      throw new Error('unused');
    },
  });
  for (const f of files) {
    const m = /^agent-(.+)\.jsonl$/.exec(f.name);
    if (m?.[1]) seen.add(m[1]);
  }
  return seen;
}
