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

/**
 * dist/hook.cjs, compiled with V8's code cache where Node has no compile cache of its own
 * (Node 20): compiling the bundle is most of what a hook costs above starting node itself.
 * The cache lives in ~/.confab/cache (private, like the rest of ~/.confab; a cache in a
 * shared temp dir could be planted by another user). V8 checks a cache only against the
 * source's length, so the file is named after the bundle's content hash, which the build
 * writes beside it (dist/hook.cjs.id), and the Node version. `save` writes it once, after the
 * first hook has compiled the functions it ran; a cache V8 rejects is written anew.
 */
function loadHookBundle() {
  const Module = require('node:module');
  const path = require('node:path');
  const file = path.join(__dirname, '..', 'dist', 'hook.cjs');
  if (Module.enableCompileCache) return { exports: require(file), save() {} };
  const fs = require('node:fs');
  let id;
  try {
    id = fs.readFileSync(`${file}.id`, 'utf8').trim();
  } catch {
    // Not built by scripts/bundle-hook.mjs: no safe name for a cache.
  }
  if (!id || !/^[0-9a-f]{16}$/.test(id)) return { exports: require(file), save() {} };
  const vm = require('node:vm');
  const cacheDir = path.join(process.env.HOME || require('node:os').homedir(), '.confab', 'cache');
  const name = `hook-${id}-${process.version}-${process.arch}.v8`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(path.join(cacheDir, name));
  } catch {
    // not written yet
  }
  // The usual CommonJS wrapper, plus the import() the bundle calls (`__dyn_`, see
  // scripts/bundle-hook.mjs): code compiled from a cache has no dynamic-import callback of its
  // own, so this module, which Node compiled, imports for it.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __confabImport) { ${fs.readFileSync(file, 'utf8')}\n});`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const mod = { exports: {} };
  const dir = path.dirname(file);
  const importFromBundle = (specifier) => import(require('node:url').pathToFileURL(path.resolve(dir, specifier)).href);
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, dir, importFromBundle);
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: mod.exports,
    save() {
      if (!stale) return;
      try {
        fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        // Caches of other builds, written over a week ago (two installs of confab may take turns).
        for (const other of fs.readdirSync(cacheDir)) {
          const at = path.join(cacheDir, other);
          if (other.startsWith('hook-') && other !== name && Date.now() - fs.statSync(at).mtimeMs > 7 * 24 * 3600 * 1000) fs.rmSync(at, { force: true });
        }
        const tmp = path.join(cacheDir, `${name}.${process.pid}.tmp`);
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, path.join(cacheDir, name));
      } catch {
        // A cache is an optimisation: the next hook compiles and tries again.
      }
    },
  };
}

/**
 * A daemon's command line as confab spawns it (daemon/spawn.ts):
 * `hook session-start --provider P --bg-daemon <launch JSON>`. Such a process runs
 * dist/daemon.cjs, its own bundle, and never loads the hook bundle; any other form of
 * `--bg-daemon` goes through the hook path, which handles it the same way.
 */
function daemonLaunchJson() {
  if (argv.length !== 6 || argv[0] !== 'hook' || argv[1] !== 'session-start' || argv[2] !== '--provider' || argv[4] !== '--bg-daemon') return undefined;
  return argv[5];
}

const launchJson = daemonLaunchJson();
if (launchJson !== undefined) {
  require('../dist/daemon.cjs').runDaemonMain(launchJson);
} else if (argv[0] === 'hook' || (argv[0] === 'sync' && (argv[1] === 'start' || argv[1] === 'stop'))) {
  const bundle = loadHookBundle();
  bundle.exports.runHookFastPath(argv).then((handled) => {
    if (!handled) return runCli();
    bundle.save();
    process.exit(process.exitCode ?? 0);
  });
} else {
  runCli();
}
