import { Flags } from '@oclif/core';
import { formatBytes } from '../../cli/format.js';
import { catchUpIndex, indexUnavailable, type CatchUpSummary } from '../../cli/search-index.js';
import { storeDir } from '../../paths.js';
import { CommandError, ConfabCommand } from '../confab-command.js';

export default class IndexUpdate extends ConfabCommand {
  static override description =
    'Bring the search index of the embedded store up to date: index the sessions `confab save` stored since the last update (a large save runs this in the background itself), or every session when the index was never built. A search does the same first; this does it ahead of time.';
  static override examples = ['<%= config.bin %> index update', '<%= config.bin %> index update --json'];
  static override enableJsonFlag = true;
  static override flags = {
    store: Flags.string({ description: 'the store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }),
  };

  async run(): Promise<CatchUpSummary> {
    const { flags } = await this.parse(IndexUpdate);
    const why = indexUnavailable();
    if (why) throw new CommandError(why);
    const json = this.jsonEnabled();
    const summary = await catchUpIndex(flags.store ?? storeDir(), {
      ...(json
        ? {}
        : {
            onPending: (n: number) => this.logToStderr(`indexing ${n} saved session${n === 1 ? '' : 's'}…`),
            onWait: () => this.logToStderr('waiting for the update running in the background…'),
          }),
    });
    if (!json) {
      this.log(
        summary.lines === 0
          ? 'The search index is up to date.'
          : `Indexed ${summary.lines} lines (${formatBytes(summary.bytes)}) of ${summary.sessions} session${summary.sessions === 1 ? '' : 's'} in ${(summary.elapsedMs / 1000).toFixed(1)}s.`,
      );
      if (summary.failed > 0) this.logToStderr(`warning: ${summary.failed} sessions could not be read and are not indexed yet`);
    }
    if (summary.failed > 0) process.exitCode = 1;
    return summary;
  }
}
