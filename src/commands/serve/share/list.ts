import { Flags } from '@oclif/core';
import { storeDir } from '../../../paths.js';
import { listShareLinks } from '../../../cli/share-links.js';
import type { ShareInfo } from '../../../serve/shares.js';
import { ConfabCommand, renderTable } from '../../confab-command.js';

export default class ServeShareList extends ConfabCommand {
  static override description = "List the read-only links to sessions of `confab serve`'s store (ids, sessions, owners, expiry — never the tokens).";
  static override examples = ['<%= config.bin %> serve share list', '<%= config.bin %> serve share list --session 0b4c7f5e-1d2e-4f3a-9b8c-7d6e5f4a3b2c --json'];
  static override enableJsonFlag = true;
  static override flags = {
    session: Flags.string({ description: "only this session's links (its id or external id)" }),
    store: Flags.string({ description: 'store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }),
  };

  async run(): Promise<{ shares: (ShareInfo & { expired: boolean })[] }> {
    const { flags } = await this.parse(ServeShareList);
    const shares = await listShareLinks(flags.store ?? storeDir(), flags.session);
    if (!this.jsonEnabled()) {
      this.log(
        shares.length === 0
          ? 'No shared links. Create one with `confab serve share create <session>` or from the session page of the viewer.'
          : renderTable(['ID', 'SESSION', 'OWNER', 'CREATED', 'EXPIRES'], shares.map((s) => [s.id, s.session_id, s.owner, s.created_at, s.expires_at ? `${s.expires_at}${s.expired ? ' (expired)' : ''}` : 'never'])),
      );
    }
    return { shares };
  }
}
