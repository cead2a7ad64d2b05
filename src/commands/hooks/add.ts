import { Flags } from '@oclif/core';
import { confabExecutable } from '../../cli/executable.js';
import { detectedProviders, selectProviders } from '../../cli/providers.js';
import { hookInstallerOf } from '../../provider/contract.js';
import { CommandError, ConfabCommand } from '../confab-command.js';

export interface HooksChange {
  provider: string;
  path: string;
  changed: boolean;
  error?: string;
}

export default class HooksAdd extends ConfabCommand {
  static override description =
    "Install confab's hooks into the agent's settings (Claude Code: ~/.claude/settings.json), keeping every other hook and setting. Without --provider, every detected agent.";
  static override examples = ['<%= config.bin %> hooks add', '<%= config.bin %> hooks add --provider claude-code', '<%= config.bin %> hooks add --json'];
  static override enableJsonFlag = true;
  static override flags = {
    provider: Flags.string({ char: 'p', description: 'agent to install hooks for (default: every detected agent)' }),
    'config-dir': Flags.string({ description: "the agent's config dir, if not the default (Claude Code: ~/.claude)" }),
  };

  async run(): Promise<{ command: string; changes: HooksChange[] }> {
    const { flags } = await this.parse(HooksAdd);
    const warn = (message: string) => this.warn(message);
    const providers = flags.provider ? await selectProviders(flags.provider, warn) : await detectedProviders(warn);
    if (providers.length === 0) {
      this.warn('no supported agent detected (looked for: Claude Code); use --provider to install anyway');
      return { command: '', changes: [] };
    }
    const command = confabExecutable();
    const changes: HooksChange[] = [];
    for (const p of providers) {
      const installer = hookInstallerOf(p);
      if (!installer) {
        changes.push({ provider: p.name, path: '', changed: false, error: 'this provider has no hooks to install' });
        continue;
      }
      try {
        const res = await installer.install({ command, ...(flags['config-dir'] ? { configDir: flags['config-dir'] } : {}) });
        changes.push({ provider: p.name, path: res.path, changed: res.changed });
        if (!this.jsonEnabled()) this.log(`${p.displayName ?? p.name}: ${res.changed ? 'installed hooks in' : 'hooks already installed in'} ${res.path}`);
      } catch (err) {
        changes.push({ provider: p.name, path: '', changed: false, error: (err as Error).message });
        if (!this.jsonEnabled()) this.logToStderr(`${p.displayName ?? p.name}: ${(err as Error).message}`);
      }
    }
    if (!this.jsonEnabled()) {
      this.log(`Hooks run: ${command}`);
      this.logToStderr(`Undo with: confab hooks remove${flags.provider ? ` --provider ${flags.provider}` : ''}`);
    }
    const failed = changes.filter((c) => c.error);
    if (failed.length && failed.length === changes.length) throw new CommandError(`could not install hooks: ${failed.map((f) => `${f.provider}: ${f.error}`).join('; ')}`);
    return { command, changes };
  }
}
