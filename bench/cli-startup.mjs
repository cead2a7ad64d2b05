#!/usr/bin/env node
// Wall time of oclif commands' start-up (`confab --version`, `confab --help`) against
// `node -e 0` measured in the same run (interleaved, NODE_EXTRA_CA_CERTS unset). Every
// plugin in package.json's oclif.plugins is loaded before any command runs, so this is
// where a new core plugin shows its cost.
// Usage: node bench/cli-startup.mjs [--runs N] [--write]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave, median, percentile, timingEnv } from './lib/startup.mjs';
import { machineLine, publish, table } from './lib/report.mjs';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));

const home = mkdtempSync(join(tmpdir(), 'confab-bench-startup-'));
const env = timingEnv({ HOME: home, XDG_CACHE_HOME: join(home, '.cache'), XDG_DATA_HOME: join(home, '.local', 'share') });
for (const key of Object.keys(env)) if (key.startsWith('CONFAB_')) delete env[key];

// `confab mcp` as an agent starts it: initialize, list the tools, then EOF (it exits). Agents
// connect MCP servers in the background, so this is how long until its tools can be offered.
const mcpInput = [
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
]
  .map((m) => `${JSON.stringify(m)}\n`)
  .join('');

const cases = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], env },
  { name: 'confab --version', cmd: process.execPath, args: [bin, '--version'], env },
  { name: 'confab --help', cmd: process.execPath, args: [bin, '--help'], env },
  { name: 'confab mcp (initialize, tools/list, EOF)', cmd: process.execPath, args: [bin, 'mcp'], env, input: mcpInput },
];

try {
  const samples = interleave(cases, runs);
  const base = median(samples.get('node -e 0'));
  const rows = [...samples].map(([name, v]) => [`\`${name}\``, `${median(v).toFixed(1)} ms`, `${percentile(v, 95).toFixed(1)} ms`, `${(median(v) / base).toFixed(2)}×`]);
  publish(
    'cli-startup',
    `### CLI start-up (\`bench/cli-startup.mjs\`)\n\n${machineLine()}; ${runs} interleaved runs each. Commands other than the hooks load oclif and its core plugins (help, plugins, autocomplete; the not-found prompt only loads for an unknown command); the hooks never do (see *Hook latency*). Only \`confab mcp\` loads the MCP SDK.\n\n${table(['command', 'median', 'p95', 'vs node -e 0'], rows)}\n`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
