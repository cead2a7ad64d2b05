import { describe, expect, it } from 'vitest';
import { codexRestorePaths } from '../src/restore-paths.js';

describe('codexRestorePaths', () => {
  it('puts each rollout under sessions/YYYY/MM/DD of its name, and leaves out names that are not rollouts', async () => {
    const root = 'rollout-2026-06-21T06-07-00-0198a0c2-7b1e-7c33-9d4e-5f6a7b8c9d0e.jsonl';
    const child = 'rollout-2026-06-22T01-00-00-0198a0c2-7b1e-7c33-9d4e-5f6a7b8c9d0f.jsonl';
    const paths = await codexRestorePaths(
      { externalId: 'x', files: [{ name: root, type: 'transcript' }, { name: child, type: 'agent' }, { name: 'notes.jsonl', type: 'agent' }, { name: `a/${root}`, type: 'agent' }] },
      '/h/.codex/sessions',
    );
    expect(paths).toEqual({ [root]: `/h/.codex/sessions/2026/06/21/${root}`, [child]: `/h/.codex/sessions/2026/06/22/${child}` });
  });
});
