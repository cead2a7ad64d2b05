import { Flags } from '@oclif/core';
import { storeDir } from '../../../paths.js';
import { KeyRing, type ApiKeyInfo } from '../../../serve/keys.js';
import { ConfabCommand, renderTable } from '../../confab-command.js';

export default class ServeKeysList extends ConfabCommand {
  static override description = "List `confab serve`'s API keys (names, users, status — never the keys themselves).";
  static override examples = ['<%= config.bin %> serve keys list', '<%= config.bin %> serve keys list --json'];
  static override enableJsonFlag = true;
  static override flags = { store: Flags.string({ description: 'store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }) };

  async run(): Promise<{ keys: ApiKeyInfo[] }> {
    const { flags } = await this.parse(ServeKeysList);
    const keys = await (await KeyRing.open(flags.store ?? storeDir())).list();
    if (!this.jsonEnabled()) {
      this.log(keys.length === 0 ? 'No keys. Create one with `confab serve keys create <name>`.' : renderTable(['ID', 'NAME', 'USER', 'STATUS', 'CREATED'], keys.map((k) => [k.id, k.name, k.user, k.status, k.created_at])));
    }
    return { keys };
  }
}
