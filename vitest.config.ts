import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests exercise the sources; spawned CLI processes run the built dist.
    alias: [
      { find: /^confab-cli$/, replacement: r('./src/index.ts') },
      { find: /^confab-cli\/provider$/, replacement: r('./src/provider/public.ts') },
      { find: /^@confab\/plugin-claude-code$/, replacement: r('./plugins/claude-code/src/index.ts') },
      { find: /^#builtin\/claude-code$/, replacement: r('./plugins/claude-code/src/index.ts') },
      { find: /^#builtin\/codex$/, replacement: r('./plugins/codex/src/index.ts') },
      { find: /^#builtin\/cursor$/, replacement: r('./plugins/cursor/src/index.ts') },
      { find: /^#builtin\/opencode$/, replacement: r('./plugins/opencode/src/index.ts') },
      { find: /^@confab\/plugin-claude-code\/transcript$/, replacement: r('./plugins/claude-code/src/transcript.ts') },
      { find: /^@confab\/plugin-codex$/, replacement: r('./plugins/codex/src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'plugins/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/real/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['./test/global-setup.ts'],
    setupFiles: ['./test/setup-env.ts'],
  },
});
