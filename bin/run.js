#!/usr/bin/env node
'use strict';
// confab's executable. Hook commands take a fast path (dist/hook.cjs, one CommonJS bundle)
// that never loads oclif: agents run them at every session start and tool call, so they
// must cost little more than starting `node` itself.
const argv = process.argv.slice(2);

function runCli() {
  // Linked plugins are loaded from their built output (confab does not transpile them); oclif
  // would otherwise warn about it on every command.
  process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1';
  return import('@oclif/core').then(({ execute, settings }) => {
    // confab runs its compiled dist/ only: with NODE_ENV=development oclif would otherwise
    // look for TypeScript to run sources that an installed package does not ship.
    settings.enableAutoTranspile = false;
    return execute({ dir: require('node:path').resolve(__dirname, '..') });
  });
}

if (argv[0] === 'hook' || (argv[0] === 'sync' && (argv[1] === 'start' || argv[1] === 'stop'))) {
  require('../dist/hook.cjs')
    .runHookFastPath(argv)
    .then((handled) => (handled ? process.exit(process.exitCode ?? 0) : runCli()));
} else {
  runCli();
}
