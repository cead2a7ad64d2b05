import { Args, Flags } from '@oclif/core';
import { LOCAL_OWNER } from '../../../backend/local.js';
import { storeDir } from '../../../paths.js';
import { KeyRing } from '../../../serve/keys.js';
import { ConfabCommand } from '../../confab-command.js';

export default class ServeKeysCreate extends ConfabCommand {
  static override description = [
    'Create an API key for `confab serve`. The key is printed once and stored only as a hash. Keys of the same --user share sessions.',
    `Without --user the key belongs to "${LOCAL_OWNER}", the owner of the sessions this machine's own agents sync into the store, so the viewer shows them. Give keys for other people or machines their own --user to keep their sessions apart.`,
  ].join('\n\n');
  static override examples = ['<%= config.bin %> serve keys create me', '<%= config.bin %> serve keys create bob-laptop --user bob', '<%= config.bin %> serve keys create ci --user team --json'];
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ description: 'a name for the key (e.g. the machine it is for)', required: true }) };
  static override flags = {
    user: Flags.string({ description: `the user this key belongs to (default: ${LOCAL_OWNER}, this machine's own sessions)` }),
    store: Flags.string({ description: 'store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }),
  };

  async run(): Promise<{ id: string; name: string; user: string; key: string; created_at: string }> {
    const { args, flags } = await this.parse(ServeKeysCreate);
    const keys = await KeyRing.open(flags.store ?? storeDir());
    const created = await keys.create(args.name, flags.user ? { user: flags.user } : {});
    if (!this.jsonEnabled()) {
      this.log(created.key);
      const whose = created.user === LOCAL_OWNER ? ", this machine's own sessions" : '';
      this.logToStderr(`Created key "${created.name}" (user ${created.user}${whose}, id ${created.id}). It is shown only now; store it safely.`);
    }
    return { id: created.id, name: created.name, user: created.user, key: created.key, created_at: created.created_at };
  }
}
