import { Flags } from '@oclif/core';
import { canOpenBrowser, readKeyFromStdin } from '../cli/login.js';
import { detectedProviders, selectProviders } from '../cli/providers.js';
import { setup, type SetupResult } from '../cli/setup.js';
import { CommandError, ConfabCommand } from './confab-command.js';

export default class Setup extends ConfabCommand {
  static override description = [
    'Set confab up on this machine in one step: choose where sessions go and install the hooks of your coding agents.',
    'Without --backend-url sessions go to the embedded local store (~/.confab/store; nothing to log in to). With a server URL, confab logs in first (the key given, the stored key if it still works, or a browser login).',
    'Undo with `confab hooks remove` (and `confab logout`).',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> setup',
    '<%= config.bin %> setup --backend-url https://confab.example.com',
    'printf %s "$CONFAB_KEY" | <%= config.bin %> setup --backend-url https://confab.example.com --api-key -',
    '<%= config.bin %> setup --provider claude-code',
    '<%= config.bin %> setup --backend-url local',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    'backend-url': Flags.string({ description: 'a confab-web or `confab serve` URL; "local" for the embedded store (default: what is configured, else local)' }),
    'api-key': Flags.string({ description: 'API key for --backend-url ("-" reads it from stdin); default: browser login' }),
    provider: Flags.string({ char: 'p', description: 'the agent to hook (default: every detected agent)' }),
    'config-dir': Flags.string({ description: "the agent's config dir, if not the default (needs --provider)" }),
  };

  async run(): Promise<SetupResult> {
    const { flags } = await this.parse(Setup);
    if (flags['config-dir'] && !flags.provider) throw new CommandError('--config-dir needs --provider (the agent whose config dir it is)');
    // The Go CLI bound a backend to one agent config dir; confab's daemons have one backend for
    // every session, so a per-dir backend would silently send other sessions there too.
    if (flags['config-dir'] && flags['backend-url'] !== undefined) {
      throw new CommandError('--config-dir cannot be combined with --backend-url: the backend applies to every session; set it with a separate `confab setup --backend-url …`');
    }
    const providers = flags.provider ? await selectProviders(flags.provider) : await detectedProviders();
    const apiKey = flags['api-key'] === '-' ? await readKeyFromStdin() : flags['api-key'];
    const res = await setup({
      ...(flags['backend-url'] !== undefined ? { backendUrl: flags['backend-url'] } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      providers,
      ...(flags['config-dir'] ? { configDir: flags['config-dir'] } : {}),
      say: (line) => process.stderr.write(`${line}\n`),
      openBrowser: canOpenBrowser(),
    });
    if (!this.jsonEnabled()) this.print(res, Boolean(flags.provider), (await selectProviders(undefined)).map((p) => p.displayName ?? p.name));
    const failed = res.hooks.filter((h) => h.error);
    if (failed.length) {
      if (this.jsonEnabled()) process.exitCode = 1;
      else throw new CommandError(`could not install hooks for ${failed.map((f) => `${f.displayName} (${f.error})`).join(', ')}`);
    }
    return res;
  }

  private print(res: SetupResult, explicit: boolean, known: string[]): void {
    const b = res.backend;
    if (b.kind === 'local') {
      this.log(`Sessions go to the local store: ${b.storeDir}${b.switchedFrom ? ` (no longer ${b.switchedFrom})` : ''}`);
    } else {
      const who = b.user.email ?? b.user.name;
      const how = b.method === 'stored-key' ? 'already logged in' : 'logged in';
      this.log(`Sessions go to ${b.url} (${how}${who ? ` as ${who}` : ''}; key in ${res.configPath})`);
    }
    for (const w of res.warnings) this.logToStderr(`warning: ${w}`);
    if (res.hooks.length === 0 && !explicit) {
      this.logToStderr(`warning: no supported agent found on this machine (looked for ${known.join(', ')}); install one and run confab setup again, or use --provider`);
    }
    for (const h of res.hooks) {
      if (h.error) this.logToStderr(`${h.displayName}: ${h.error}`);
      else this.log(`${h.displayName}: ${h.changed ? 'installed hooks in' : 'hooks already installed in'} ${h.path}`);
    }
    if (res.hooks.some((h) => !h.error)) {
      this.log(`Hooks run: ${res.command}`);
      this.logToStderr('New sessions are now synced as they happen. Back up the ones you already have with: confab save --all');
    }
    this.logToStderr(`Undo with: confab hooks remove${b.kind === 'http' ? ' && confab logout' : ''}`);
  }
}
