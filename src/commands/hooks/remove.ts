import { Flags } from '@oclif/core';
import { selectProviders } from '../../cli/providers.js';
import { hookInstallerOf } from '../../provider/contract.js';
import { CommandError, ConfabCommand } from '../confab-command.js';
import type { HooksChange } from './add.js';

export default class HooksRemove extends ConfabCommand {
  static override description = "Remove confab's hooks from the agents' settings, keeping every other hook and setting. Without --provider, from every known agent.";
  static override examples = ['<%= config.bin %> hooks remove', '<%= config.bin %> hooks remove --provider claude-code'];
  static override enableJsonFlag = true;
  static override flags = {
    provider: Flags.string({ char: 'p', description: 'agent to remove hooks from (default: all)' }),
    'config-dir': Flags.string({ description: "the agent's config dir, if not the default" }),
  };

  async run(): Promise<{ changes: HooksChange[] }> {
    const { flags } = await this.parse(HooksRemove);
    const changes: HooksChange[] = [];
    for (const p of await selectProviders(flags.provider, (message) => this.warn(message))) {
      const installer = hookInstallerOf(p);
      if (!installer) continue;
      try {
        const res = await installer.uninstall(flags['config-dir'] ? { configDir: flags['config-dir'] } : {});
        changes.push({ provider: p.name, path: res.path, changed: res.changed });
        if (!this.jsonEnabled()) this.log(`${p.displayName ?? p.name}: ${res.changed ? 'removed hooks from' : 'no confab hooks in'} ${res.path}`);
      } catch (err) {
        changes.push({ provider: p.name, path: '', changed: false, error: (err as Error).message });
        if (!this.jsonEnabled()) this.logToStderr(`${p.displayName ?? p.name}: ${(err as Error).message}`);
      }
    }
    const failed = changes.filter((c) => c.error);
    if (failed.length) throw new CommandError(`could not remove hooks: ${failed.map((f) => `${f.provider}: ${f.error}`).join('; ')}`);
    return { changes };
  }
}
