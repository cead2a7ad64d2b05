import { Flags } from '@oclif/core';
import { formatBytes } from '../../cli/format.js';
import { storeDir } from '../../paths.js';
import { indexStore, indexUnavailable } from '../../cli/search-index.js';
import type { IndexSummary } from '../../search/rebuild.js';
import { CommandError, ConfabCommand } from '../confab-command.js';

export default class IndexRebuild extends ConfabCommand {
  static override description =
    'Rebuild the search index of the embedded store from the sessions it holds. The index is derived data: rebuilding it is always safe, and repairs an index that missed updates or was damaged.';
  static override examples = ['<%= config.bin %> index rebuild', '<%= config.bin %> index rebuild --json', 'CONFAB_STORE_DIR=/srv/confab <%= config.bin %> index rebuild'];
  static override enableJsonFlag = true;
  static override flags = {
    store: Flags.string({ description: 'the store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }),
  };

  async run(): Promise<IndexSummary> {
    const { flags } = await this.parse(IndexRebuild);
    const why = indexUnavailable();
    if (why) throw new CommandError(why);
    const dir = flags.store ?? storeDir();
    let lastShown = 0;
    const summary = await indexStore(dir, {
      fresh: true,
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastShown < 200 && p.done !== p.total) return;
        lastShown = now;
        process.stderr.write(`indexing: ${p.done}/${p.total} sessions, ${formatBytes(p.bytes)}\n`);
      },
    });
    if (!this.jsonEnabled()) {
      this.log(
        `Indexed ${summary.sessions} sessions, ${summary.lines} lines (${formatBytes(summary.bytes)}) in ${(summary.elapsedMs / 1000).toFixed(1)}s; index ${formatBytes(summary.indexBytes)} at ${summary.path}`,
      );
      if (summary.failed > 0) this.logToStderr(`warning: ${summary.failed} sessions could not be read and are not indexed`);
    }
    return summary;
  }
}
