import { Args, Flags } from '@oclif/core';
import { storeDir } from '../../../paths.js';
import { createShareLink, type CreatedLink } from '../../../cli/share-links.js';
import { ConfabCommand } from '../../confab-command.js';

export default class ServeShareCreate extends ConfabCommand {
  static override description = `Create a read-only link to one session of \`confab serve\`'s store: /s/<token> shows that session's conversation to anyone who has the link, without a login, and nothing else.

The token is printed once; the store keeps only its hash. The link belongs to the session's owner, who sees and revokes it in the viewer too.`;
  static override examples = [
    '<%= config.bin %> serve share create 0b4c7f5e-1d2e-4f3a-9b8c-7d6e5f4a3b2c',
    '<%= config.bin %> serve share create 0b4c7f5e-1d2e-4f3a-9b8c-7d6e5f4a3b2c --expires 7d --url https://confab.example.com',
  ];
  static override enableJsonFlag = true;
  static override args = { session: Args.string({ description: "the session's id or external id", required: true }) };
  static override flags = {
    expires: Flags.string({ description: 'the link stops working after this long: 30m, 12h, 7d, 2w (default: never)' }),
    url: Flags.string({ description: "the server's public base URL, to print the whole link (default: the path only)" }),
    store: Flags.string({ description: 'store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }),
  };

  async run(): Promise<CreatedLink> {
    const { args, flags } = await this.parse(ServeShareCreate);
    const link = await createShareLink(flags.store ?? storeDir(), args.session, {
      ...(flags.expires === undefined ? {} : { expires: flags.expires }),
      ...(flags.url === undefined ? {} : { baseUrl: flags.url }),
    });
    if (!this.jsonEnabled()) {
      this.log(link.url);
      this.logToStderr(`Created shared link ${link.id} to session ${link.session_id}${link.expires_at ? `, expires ${link.expires_at}` : ', no expiry'}. It is shown only now.`);
    }
    return link;
  }
}
