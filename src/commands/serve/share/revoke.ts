import { Args, Flags } from '@oclif/core';
import { storeDir } from '../../../paths.js';
import { revokeShareLink } from '../../../cli/share-links.js';
import type { ShareInfo } from '../../../serve/shares.js';
import { ConfabCommand } from '../../confab-command.js';

export default class ServeShareRevoke extends ConfabCommand {
  static override description = 'Revoke a read-only link by id (see `confab serve share list`); it answers 404 from then on (a running `confab serve` applies it on the next request).';
  static override examples = ['<%= config.bin %> serve share revoke 3f9a1c2b7d4e'];
  static override enableJsonFlag = true;
  static override args = { id: Args.string({ description: "the link's id", required: true }) };
  static override flags = { store: Flags.string({ description: 'store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }) };

  async run(): Promise<ShareInfo> {
    const { args, flags } = await this.parse(ServeShareRevoke);
    const revoked = await revokeShareLink(flags.store ?? storeDir(), args.id);
    if (!this.jsonEnabled()) this.log(`Revoked shared link ${revoked.id} (session ${revoked.session_id}).`);
    return revoked;
  }
}
