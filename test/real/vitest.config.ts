import { defineConfig } from 'vitest/config';

// The opt-in suite that drives the real Claude Code CLI (npm run test:real). Kept out of the
// default run: it needs the pinned CLI installed under test/real/node_modules.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/real/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 150_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['./test/setup-env.ts'],
  },
});
