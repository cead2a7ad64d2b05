import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Args, Command, Flags } from '@oclif/core';
import { userConfigPath } from '../paths.js';
import { loadProjectConfig } from '../config/project-config.js';
import { createRedactor, mergeRedactionOptions, redactionOptionsFromUserConfig, type RedactionOptions } from '../redact/index.js';
import { redactJsonl } from '../redact/jsonl.js';

const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();

/** The `redaction` section of ~/.confab/config.json (absent file or section: the defaults). */
async function userRedactionOptions(path: string): Promise<RedactionOptions> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read ${path}: ${oneLine(err)}`, { cause: err });
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${oneLine(err)}`, { cause: err });
  }
  const section = typeof config === 'object' && config !== null ? (config as Record<string, unknown>).redaction : undefined;
  try {
    return redactionOptionsFromUserConfig(section);
  } catch (err) {
    throw new Error(`${path}: ${oneLine(err)}`, { cause: err });
  }
}

export default class RedactionTest extends Command {
  static override description =
    'Print a JSONL transcript (or any text) as confab would upload it, with secrets replaced by [REDACTED:TYPE].\n\n' +
    'Uses the redaction settings a session in the current directory gets: ~/.confab/config.json, then the project config (confab.config.ts, …) found from here upwards. It works even when redaction is disabled (it says so), to show what enabling it would do.';

  static override examples = [
    '<%= config.bin %> redaction-test ~/.claude/projects/-work-app/0b4c7f5e.jsonl',
    '<%= config.bin %> redaction-test - --stats < session.jsonl',
    '<%= config.bin %> redaction-test session.jsonl --json',
  ];

  static override args = {
    file: Args.string({ required: true, description: 'file to redact, or - to read standard input' }),
  };

  static override flags = {
    stats: Flags.boolean({ description: 'after the output, print the number of redactions by type on stderr' }),
    json: Flags.boolean({ description: 'print only the redaction counts, as JSON, on stdout' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RedactionTest);
    try {
      await this.redact(args.file, flags);
    } catch (err) {
      process.stderr.write(`confab: ${oneLine(err)}\n`);
      process.exitCode = 1;
    }
  }

  private async redact(file: string, flags: { stats: boolean; json: boolean }): Promise<void> {
    const configPath = userConfigPath();
    // The same layers a session in this directory gets: ~/.confab/config.json, then the
    // project config found from here upwards.
    const project = await loadProjectConfig(process.cwd());
    const opts = mergeRedactionOptions(await userRedactionOptions(configPath), project?.config.redaction);
    if (opts.enabled === false) {
      process.stderr.write(`confab: redaction is disabled in ${configPath} (redaction.enabled: false); showing what it would do if enabled\n`);
    }
    const redactor = createRedactor({ ...opts, enabled: true });
    if (!redactor) throw new Error(`no redaction patterns: use_default_patterns is false in ${configPath} and no custom patterns are set`);

    const input = file === '-' ? process.stdin : createReadStream(file);
    const opened = new Promise<void>((resolve, reject) => {
      if (file === '-') resolve();
      input.once('open', () => resolve());
      input.once('error', reject);
    });
    try {
      await opened;
    } catch (err) {
      throw new Error(`cannot read ${file}: ${oneLine(err)}`, { cause: err });
    }
    const write = flags.json
      ? () => undefined
      : (text: string) => (process.stdout.write(text) ? undefined : new Promise<void>((r) => process.stdout.once('drain', () => r())));
    let report;
    try {
      report = await redactJsonl(input, write, redactor);
    } catch (err) {
      throw new Error(`cannot read ${file}: ${oneLine(err)}`, { cause: err });
    }

    const byType = Object.fromEntries([...redactor.stats].sort(([a], [b]) => a.localeCompare(b)));
    const total = [...redactor.stats.values()].reduce((a, b) => a + b, 0);
    if (flags.json) {
      const summary = { redaction_enabled: opts.enabled !== false, lines: report.lines, changed_lines: report.changedLines, redactions: total, by_type: byType };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else if (flags.stats) {
      const width = Math.max(4, ...Object.keys(byType).map((k) => k.length));
      const rows = Object.entries(byType).map(([type, n]) => `  ${type.padEnd(width)}  ${n}`);
      process.stderr.write([`redacted ${total} secret(s) in ${report.changedLines} of ${report.lines} line(s)`, ...rows].join('\n') + '\n');
    }
  }
}
