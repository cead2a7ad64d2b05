import { Args, Flags } from '@oclif/core';
import { truncate } from '../cli/format.js';
import { storeDir } from '../paths.js';
import { buildProgressOnStderr, indexUnavailable, openStoreIndex, parseTimeBound, pendingNoticeOnStderr, waitNoticeOnStderr } from '../cli/search-index.js';
import { MATCH_END, MATCH_START, QuerySyntaxError, search, type SearchHit, type SearchOptions } from '../search/query.js';
import { CommandError, ConfabCommand, useColor } from './confab-command.js';

const ROLES = ['user', 'assistant', 'tool'] as const;

export default class Search extends ConfabCommand {
  static override description =
    'Search every session in the embedded store: prompts, replies, tool calls and tool results (sub-agents included), as stored (redacted). Words must all match; "quoted phrases" match as a whole; word* matches a prefix. Best matches first. Each hit has an address <session>:<file>:<line> that `confab session show` opens.';
  static override examples = [
    '<%= config.bin %> search flaky test',
    '<%= config.bin %> search \'"connection refused"\' --since 7d',
    '<%= config.bin %> search migrat* --project api --role tool',
    '<%= config.bin %> search docker --provider codex --limit 50 --json',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = { query: Args.string({ description: 'words, "a phrase", prefix*', required: true }) };
  static override flags = {
    project: Flags.string({ description: 'only sessions of this project (repository or directory name) or under this directory' }),
    provider: Flags.string({ char: 'p', description: 'only this agent (claude-code, codex, …)' }),
    since: Flags.string({ char: 'd', description: 'only lines at or after this: a duration back (30m, 12h, 5d, 2w) or a date (2026-11-01)' }),
    until: Flags.string({ description: 'only lines before this: a duration back or a date' }),
    role: Flags.string({ description: 'only what the user wrote, what the assistant wrote, or tool calls and results', options: [...ROLES] }),
    limit: Flags.integer({ char: 'n', description: 'at most this many hits', default: 20, min: 1, max: 1000 }),
    offset: Flags.integer({ description: 'skip this many hits first (the next page)', default: 0, min: 0 }),
    store: Flags.string({ description: 'the store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }),
  };

  async run(): Promise<{ query: string; hits: SearchHit[] }> {
    const { flags, argv } = await this.parse(Search);
    const query = (argv as string[]).join(' ');
    const why = indexUnavailable();
    if (why) throw new CommandError(why);
    const opts: SearchOptions = { limit: flags.limit, offset: flags.offset };
    if (flags.project) opts.project = flags.project;
    if (flags.provider) opts.provider = flags.provider;
    if (flags.role) opts.role = flags.role as (typeof ROLES)[number];
    for (const key of ['since', 'until'] as const) {
      const text = flags[key];
      if (text === undefined) continue;
      const t = parseTimeBound(text);
      if (t === undefined) throw new CommandError(`invalid --${key} "${text}": use a duration (30m, 12h, 5d, 2w) or a date (2026-11-01)`, 2);
      opts[key] = t;
    }
    const index = await openStoreIndex(flags.store ?? storeDir(), buildProgressOnStderr, pendingNoticeOnStderr, waitNoticeOnStderr);
    let hits: SearchHit[];
    try {
      hits = search(index.db, query, opts);
    } catch (err) {
      if (err instanceof QuerySyntaxError) throw new CommandError(`bad query: ${err.message}`, 2);
      throw err;
    } finally {
      index.close();
    }
    if (!this.jsonEnabled()) this.printHits(hits);
    return { query, hits: hits.map((h) => ({ ...h, snippet: h.snippet.replaceAll(MATCH_START, '«').replaceAll(MATCH_END, '»') })) };
  }

  private printHits(hits: SearchHit[]): void {
    if (hits.length === 0) {
      this.logToStderr('No matches.');
      return;
    }
    const color = useColor();
    const [on, off] = color ? ['\u001b[1;33m', '\u001b[0m'] : ['«', '»'];
    for (const h of hits) {
      const when = h.time ? h.time.slice(0, 16).replace('T', ' ') : '';
      const who = h.tool ? `${h.role}:${h.tool}` : h.role;
      const title = h.title ? `  ${truncate(h.title, 60)}` : '';
      this.log(`${color ? '\u001b[2m' : ''}${h.address}${color ? '\u001b[0m' : ''}  ${when}  ${h.provider}  ${who}${title}`);
      this.log(`    ${h.snippet.replaceAll(MATCH_START, on).replaceAll(MATCH_END, off)}`);
    }
  }
}
