import { describe, expect, it } from 'vitest';
import { agentProcessMatcher } from '../../src/provider/processes.js';

describe('agentProcessMatcher', () => {
  const codex = agentProcessMatcher({ name: /\bcodex\b/i, excludeShells: true });
  const opencode = agentProcessMatcher({ name: /\bopencode\b/i });
  const app = agentProcessMatcher({ name: /^agent$/, path: /\/Agent\.app\//, excludeShells: true });

  it('matches the executable name, argv[0], or the script an interpreter runs', () => {
    expect(codex({ comm: 'codex', argv: ['/usr/bin/codex', 'exec'] })).toBe(true);
    expect(codex({ comm: 'MainThread', argv: ['codex'] })).toBe(true);
    expect(codex({ comm: 'node', argv: ['node', '--no-warnings', '/usr/lib/node_modules/@openai/codex/bin/codex.js'] })).toBe(true);
    expect(codex({ comm: 'node', argv: ['node', '/srv/other.js', 'codex'] })).toBe(false);
    expect(opencode({ comm: 'bun', argv: ['bun', '/x/opencode'] })).toBe(true);
  });

  it('never matches on the rest of the command line; a shell never matches when shells are excluded', () => {
    expect(codex({ comm: 'sh', argv: ['sh', '-c', 'confab hook session-start --provider codex'] })).toBe(false);
    // A login shell's argv[0] is `-bash`.
    expect(codex({ comm: 'bash', argv: ['-bash', 'codex'] })).toBe(false);
    expect(opencode({ comm: 'sh', argv: ['sh', '-c', 'confab hook session-start --provider opencode'] })).toBe(false);
    // A shell started under the agent's name: excluded only when asked.
    expect(codex({ comm: 'bash', argv: ['codex'] })).toBe(false);
    expect(agentProcessMatcher({ name: /\bcodex\b/i })({ comm: 'bash', argv: ['codex'] })).toBe(true);
  });

  it('matches a full path rule on argv[0] and on an interpreter’s script', () => {
    expect(app({ comm: 'Renderer', argv: ['/Applications/Agent.app/Contents/MacOS/Renderer'] })).toBe(true);
    expect(app({ comm: 'node', argv: ['node', '/Applications/Agent.app/Contents/main.js'] })).toBe(true);
    expect(app({ comm: 'zsh', argv: ['/Applications/Agent.app/Contents/zsh'] })).toBe(false);
  });
});
