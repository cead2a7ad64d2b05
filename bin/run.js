#!/usr/bin/env node
'use strict';
// confab's executable. Hook commands take a fast path (dist/hook.cjs, one CommonJS bundle)
// that never loads oclif: agents run them at every session start and tool call, so they
// must cost little more than starting `node` itself.

// Node 22.1+ keeps V8's compiled code of confab and its dependencies on disk between runs
// (each command and daemon otherwise compiles oclif and the rest anew); Node 20 has no such
// cache and goes on without it.
require('node:module').enableCompileCache?.();

const argv = process.argv.slice(2);

function runCli() {
  // Linked plugins are loaded from their built output (confab does not transpile them); oclif
  // would otherwise warn about it on every command.
  process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1';
  // oclif checks its own engine range with semver (some 50 modules) whenever a command loads
  // it; npm already checked confab's range, which is narrower.
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
  // The entry points alone, not @oclif/core's index (flags, parser, ux …): `--version` and
  // `--help` need no more, and a command imports the rest with its own module.
  const { settings } = require('@oclif/core/settings');
  const { execute } = require('@oclif/core/execute');
  // confab runs its compiled dist/ only: with NODE_ENV=development oclif would otherwise
  // look for TypeScript to run sources that an installed package does not ship.
  settings.enableAutoTranspile = false;
  return execute({ dir: require('node:path').resolve(__dirname, '..') });
}

if (argv[0] === 'hook' || (argv[0] === 'sync' && (argv[1] === 'start' || argv[1] === 'stop'))) {
  require('../dist/hook.cjs')
    .runHookFastPath(argv)
    .then((handled) => (handled ? process.exit(process.exitCode ?? 0) : runCli()));
} else {
  runCli();
}
