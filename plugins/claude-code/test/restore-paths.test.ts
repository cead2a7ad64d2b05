import { describe, expect, it } from 'vitest';
import { claudeRestorePaths, encodeProjectDir } from '../src/restore-paths.js';

const ID = '958a0291-14d6-41d4-abad-e3757ff1ad70';
const files = [
  { name: `${ID}.jsonl`, type: 'transcript' },
  { name: 'agent-aa8934ac9a2623aee.jsonl', type: 'agent' },
  { name: 'subagents/workflows/wf_1/journal.jsonl', type: 'workflow_journal' },
];

describe('claudeRestorePaths', () => {
  it('places the transcript, sub-agents and workflow files in the recorded project dir, under the config dir given', async () => {
    const paths = await claudeRestorePaths({ externalId: ID, transcriptPath: `/old/home/.claude/projects/-work-app/${ID}.jsonl`, cwd: '/elsewhere', files }, '/home/u/.claude');
    expect(paths).toEqual({
      [`${ID}.jsonl`]: `/home/u/.claude/projects/-work-app/${ID}.jsonl`,
      'agent-aa8934ac9a2623aee.jsonl': `/home/u/.claude/projects/-work-app/${ID}/subagents/agent-aa8934ac9a2623aee.jsonl`,
      'subagents/workflows/wf_1/journal.jsonl': `/home/u/.claude/projects/-work-app/${ID}/subagents/workflows/wf_1/journal.jsonl`,
    });
  });

  it('encodes the cwd as Claude Code does when the recorded path is not a Claude transcript path', async () => {
    const paths = await claudeRestorePaths({ externalId: ID, transcriptPath: '/tmp/x.jsonl', cwd: '/work/my_app.v2', files: files.slice(0, 1) }, '/c');
    expect(paths).toEqual({ [`${ID}.jsonl`]: `/c/projects/-work-my-app-v2/${ID}.jsonl` });
  });

  it('leaves out files it cannot place, and refuses a session with neither path nor cwd', async () => {
    const paths = await claudeRestorePaths({ externalId: ID, cwd: '/w', files: [{ name: '../../x.jsonl', type: 'agent' }, { name: 'other.jsonl', type: 'transcript' }] }, '/c');
    expect(paths).toEqual({});
    await expect(claudeRestorePaths({ externalId: ID, files }, '/c')).rejects.toThrow('no transcript path or cwd');
    expect(encodeProjectDir(`/${'a'.repeat(250)}`)).toBeUndefined();
  });
});
