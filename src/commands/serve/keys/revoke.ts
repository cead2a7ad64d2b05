import { Args, Flags } from '@oclif/core';
import { storeDir } from '../../../paths.js';
import { KeyRing, type ApiKeyInfo } from '../../../serve/keys.js';
import { ConfabCommand } from '../../confab-command.js';

export default class ServeKeysRevoke extends ConfabCommand {
  static override description = 'Revoke a `confab serve` API key by id or name; clients using it get 401 from then on, and viewer logins made with it end at once (a running `confab serve` applies it on the next request).';
  static override examples = ['<%= config.bin %> serve keys revoke laptop'];
  static override enableJsonFlag = true;
  static override args = { key: Args.string({ description: 'key id or name', required: true }) };
  static override flags = { store: Flags.string({ description: 'store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }) };

  async run(): Promise<ApiKeyInfo> {
    const { args, flags } = await this.parse(ServeKeysRevoke);
    const revoked = await (await KeyRing.open(flags.store ?? storeDir())).revoke(args.key);
    if (!this.jsonEnabled()) this.log(`Revoked key "${revoked.name}" (${revoked.id}).`);
    return revoked;
  }
}
