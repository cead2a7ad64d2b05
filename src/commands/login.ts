import { Flags } from '@oclif/core';
import { canOpenBrowser, login, readKeyFromStdin, type LoginResult } from '../cli/login.js';
import { ConfabCommand } from './confab-command.js';

export default class Login extends ConfabCommand {
  static override description =
    'Log in to a confab-web server (or a `confab serve` host) and store its URL and an API key in ~/.confab/config.json. With --api-key the key is checked with the server; without it, approve the login in a browser (device code).';
  static override examples = [
    '<%= config.bin %> login --backend-url https://confab.example.com',
    'printf %s "$CONFAB_KEY" | <%= config.bin %> login --backend-url https://confab.example.com --api-key -',
    '<%= config.bin %> login --backend-url https://confab.example.com --name "work laptop"',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    'backend-url': Flags.string({ description: 'the server, e.g. https://confab.example.com', required: true }),
    'api-key': Flags.string({ description: 'an API key (cfb_…) to use instead of the browser login; "-" reads it from stdin' }),
    name: Flags.string({ description: 'name of the key the browser login creates (default: "<hostname> (Confab CLI)")' }),
  };

  async run(): Promise<LoginResult> {
    const { flags } = await this.parse(Login);
    const apiKey = flags['api-key'] === '-' ? await readKeyFromStdin() : flags['api-key'];
    const res = await login({
      backendUrl: flags['backend-url'],
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(flags.name ? { keyName: flags.name } : {}),
      // Instructions go to stderr so `--json` output stays parseable.
      say: (line) => process.stderr.write(`${line}\n`),
      openBrowser: canOpenBrowser(),
    });
    if (!this.jsonEnabled()) {
      const who = res.user.email ?? res.user.name;
      this.log(`Logged in to ${res.backendUrl}${who ? ` as ${who}` : ''}. Saved to ${res.configPath}.`);
      this.logToStderr('New sessions now sync there. Log out with: confab logout');
    }
    return res;
  }
}
