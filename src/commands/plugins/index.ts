import { listPlugins, type PluginListing } from '../../plugin/list.js';
import { ConfabCommand, renderTable } from '../confab-command.js';

const SOURCE_LABELS: Record<PluginListing['origin'], string> = {
  builtin: 'built in',
  'oclif-user': 'installed',
  'oclif-link': 'linked',
  'user-config': 'user config',
  'project-config': 'project config',
};

export default class PluginsIndex extends ConfabCommand {
  static override description =
    'List the plugins in effect here and where each comes from: built in, installed or linked with `confab plugins install|link`, listed in ~/.confab/config.json, or listed in the project config of the current directory. Later rows take precedence for a provider of the same name.';
  static override examples = ['<%= config.bin %> plugins', '<%= config.bin %> plugins --json', '<%= config.bin %> plugins link ./my-plugin'];
  static override enableJsonFlag = true;

  async run(): Promise<{ plugins: PluginListing[] }> {
    await this.parse(PluginsIndex);
    // Commands come from oclif, which has loaded installed and linked plugins to run this one.
    const commands = new Map<string, string[]>();
    for (const p of this.config.getPluginsList()) {
      if (p.type !== 'user' && p.type !== 'link') continue;
      commands.set(
        p.name,
        p.commands.map((c) => c.id.replaceAll(':', ' ')),
      );
    }
    const { plugins, warnings } = await listPlugins({ cwd: process.cwd(), commands });
    for (const w of warnings) this.warn(w);
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['PLUGIN', 'SOURCE', 'PROVIDERS', 'APPLY', 'COMMANDS', 'FROM'],
          plugins.map((p) => [
            p.name,
            SOURCE_LABELS[p.origin],
            p.error ? 'failed to load' : p.providers.join(', ') || '-',
            p.apply ? 'yes' : '-',
            p.commands.join(', ') || '-',
            p.from,
          ]),
        ),
      );
      for (const p of plugins) if (p.error) this.warn(`${p.name}: ${p.error}`);
    }
    return { plugins };
  }
}
