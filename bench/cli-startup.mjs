#!/usr/bin/env node
// Wall time of oclif commands' start-up against `node -e 0` measured in the same run
// (interleaved, NODE_EXTRA_CA_CERTS unset), in an empty HOME: `confab --version`, `--help`,
// and the commands people and agents call (`list --json`, `search`, `usage`), which there
// find nothing to show, so what is timed is loading what the command needs. oclif reads
// every command's metadata from oclif.manifest.json and imports only the command being run;
// every plugin in package.json's oclif.plugins is loaded before any command runs, so this is
// also where a new core plugin shows its cost.
// Usage: node bench/cli-startup.mjs [--runs N] [--baseline <another built checkout>] [--write]
//   --baseline times the same commands with that checkout's bin/run.js in the same run
//   (e.g. a worktree of main), for a before/after comparison.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave, median, percentile, timingEnv } from './lib/startup.mjs';
import { loadLine, machineLine, publish, table } from './lib/report.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg('--runs') ?? 30);
const baseline = arg('--baseline');
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));

const home = mkdtempSync(join(tmpdir(), 'confab-bench-startup-'));
const env = timingEnv({ HOME: home, XDG_CACHE_HOME: join(home, '.cache'), XDG_DATA_HOME: join(home, '.local', 'share'), XDG_CONFIG_HOME: join(home, '.config') });
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

const COMMANDS = [['--version'], ['--help'], ['list', '--json'], ['search', 'deploy', '--json'], ['usage', '--json']];
// Run from the empty HOME: a project config in the current directory (this repository has
// one) would time loading it, which is not start-up.
const confabCases = (entry, suffix) => COMMANDS.map((args) => ({ name: `confab ${args.join(' ')}${suffix}`, cmd: process.execPath, args: [entry, ...args], env, cwd: home }));
const cases = [
  { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], env, cwd: home },
  ...confabCases(bin, ''),
  { name: 'confab mcp (initialize, tools/list, EOF)', cmd: process.execPath, args: [bin, 'mcp'], env, cwd: home, input: mcpInput },
  ...(baseline ? confabCases(join(resolve(baseline), 'bin', 'run.js'), ' (baseline)') : []),
];

try {
  const loadBefore = loadLine();
  const samples = interleave(cases, runs);
  const base = median(samples.get('node -e 0'));
  const rows = [...samples].map(([name, v]) => [`\`${name}\``, `${median(v).toFixed(1)} ms`, `${percentile(v, 95).toFixed(1)} ms`, `${(median(v) / base).toFixed(2)}×`]);
  publish(
    'cli-startup',
    `### CLI start-up (\`bench/cli-startup.mjs\`)\n\n${machineLine()}; ${runs} interleaved runs each, empty HOME; load average ${loadBefore} before, ${loadLine()} after. Commands other than the hooks load oclif and its core plugins (help, plugins, autocomplete; the not-found prompt only loads for an unknown command), read the commands' metadata from oclif.manifest.json and import only the command being run (only \`confab mcp\` loads the MCP SDK); the hooks never load oclif (see *Hook latency*). Targets: \`--version\` at most 5×, \`list --json\` at most 8× \`node -e 0\`.${baseline ? ' *(baseline)* rows run another checkout in the same run.' : ''}\n\n${table(['command', 'median', 'p95', 'vs node -e 0'], rows)}\n`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
