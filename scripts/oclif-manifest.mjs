// Write oclif.manifest.json: every command's id, description, flags and args, and the file it
// is built to. With it oclif starts without importing any command (`confab --version`,
// `confab --help`), and imports only the file of the command being run. This is what
// `oclif manifest` does, through the same @oclif/core API, without the oclif packaging CLI
// (and its dependencies) in the build. Run after `tsc`: it loads the commands from dist/.
import { Plugin } from '@oclif/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true });
await plugin.load();
const commands = Object.values(plugin.manifest.commands);
if (commands.length === 0) throw new Error('no commands found under the oclif.commands target: is dist/ built?');
for (const cmd of commands) {
  // A module under commands/ that is not a command (a base class) would become one here.
  if (!cmd.description) throw new Error(`${cmd.id} (${cmd.relativePath.join('/')}) has no description: a command needs one, and a helper module must be excluded in package.json's oclif.commands.globPatterns`);
}
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest, null, 2)}\n`);
