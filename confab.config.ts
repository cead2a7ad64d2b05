// This repository's own confab project config: a working example of what a project can set.
// Sessions of agents working in this repo sync like any other; the tap below only counts
// lines, to show where a project hooks into the daemon.
import { defineConfig } from 'confab-cli';

export default defineConfig({
  enabled: true,
  sync: { intervalMs: 30_000 },
  redaction: {
    patterns: [{ name: 'confab test key', pattern: /\bcfb_test_[A-Za-z0-9]{8,}\b/, type: 'CONFAB_TEST_KEY' }],
  },
  apply(daemon) {
    let lines = 0;
    daemon.hooks.line.tap('count-lines', (line) => {
      lines++;
      return line;
    });
    daemon.hooks.shutdown.tapPromise('report-lines', async () => {
      process.stderr.write(`confab.config.ts: ${lines} lines passed through this project's daemon\n`);
    });
  },
});
