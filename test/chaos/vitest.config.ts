import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

// `npm run test:chaos`: the full fault matrix (more kills, longer storms, more fuzz runs).
// The default `npm test` runs the same files as a fast subset.
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    ...base.test,
    include: ['test/chaos/**/*.test.ts'],
    env: { TEST_CHAOS: 'full' },
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
