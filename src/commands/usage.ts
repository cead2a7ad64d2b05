import { Args, Flags } from '@oclif/core';
import { truncate } from '../cli/format.js';
import { storeDir } from '../paths.js';
import { buildProgressOnStderr, indexUnavailable, openStoreIndex, parseTimeBound, pendingNoticeOnStderr, waitNoticeOnStderr } from '../cli/search-index.js';
import { configuredPrices } from '../config/prices.js';
import { PricingConfigError } from '../usage/pricing.js';
import { USAGE_GROUPS, usageReport, type UsageGroup, type UsageReport, type UsageTotals } from '../usage/report.js';
import { CommandError, ConfabCommand, renderTable } from './confab-command.js';

const tokens = (n: number) => n.toLocaleString('en-US');
const usd = (t: UsageTotals) => (t.cost === null ? 'no price' : `$${t.cost.toFixed(2)}${t.unpriced_responses > 0 ? '+' : ''}`);

export default class Usage extends ConfabCommand {
  static override description =
    'Tokens and cost of the sessions in the embedded store — also those whose transcripts the agent has deleted — by day, week, month, session, project or model. Each API response counts once. Costs use the prices shipped with confab (USD, overridable with `pricing` in ~/.confab/config.json); models without a price show their tokens and "no price". Periods are UTC.';
  static override examples = ['<%= config.bin %> usage', '<%= config.bin %> usage monthly', '<%= config.bin %> usage model --since 30d', '<%= config.bin %> usage session --since 2026-11-01 --json'];
  static override enableJsonFlag = true;
  static override args = { group: Args.string({ description: 'how to group the figures', options: [...USAGE_GROUPS], default: 'daily', ignoreStdin: true }) };
  static override flags = {
    since: Flags.string({ char: 'd', description: 'only responses at or after this: a duration back (30m, 12h, 5d, 2w) or a date (2026-11-01)' }),
    store: Flags.string({ description: 'the store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }),
  };

  async run(): Promise<UsageReport> {
    const { args, flags } = await this.parse(Usage);
    const why = indexUnavailable();
    if (why) throw new CommandError(why);
    let since: number | undefined;
    if (flags.since !== undefined) {
      since = parseTimeBound(flags.since);
      if (since === undefined) throw new CommandError(`invalid --since "${flags.since}": use a duration (30m, 12h, 5d, 2w) or a date (2026-11-01)`, 2);
    }
    let prices;
    try {
      prices = configuredPrices();
    } catch (err) {
      if (err instanceof PricingConfigError) throw new CommandError(err.message);
      throw err;
    }
    const index = await openStoreIndex(flags.store ?? storeDir(), buildProgressOnStderr, pendingNoticeOnStderr, waitNoticeOnStderr);
    let report: UsageReport;
    try {
      report = usageReport(index.db, prices, args.group as UsageGroup, since === undefined ? {} : { since });
    } finally {
      index.close();
    }
    if (!this.jsonEnabled()) {
      if (report.rows.length === 0) this.logToStderr('No usage recorded.');
      else {
        const rows = report.rows.map((r) => [
          report.group === 'session' ? `${r.key.slice(0, 8)} ${truncate(r.label ?? '', 40)}` : r.key,
          tokens(r.input),
          tokens(r.output),
          tokens(r.cache_creation),
          tokens(r.cache_read),
          usd(r),
          report.group === 'model' ? '' : truncate(r.models.join(', '), 40),
        ]);
        const t = report.total;
        rows.push(['Total', tokens(t.input), tokens(t.output), tokens(t.cache_creation), tokens(t.cache_read), usd(t), '']);
        this.log(renderTable([report.group === 'session' ? 'Session' : report.group[0]!.toUpperCase() + report.group.slice(1), 'Input', 'Output', 'Cache write', 'Cache read', 'Cost', 'Models'], rows));
        if (t.unpriced_responses > 0) this.log(`${t.unpriced_responses} responses are from models with no price ("+": the cost leaves them out).`);
      }
    }
    return report;
  }
}
