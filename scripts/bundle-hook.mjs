// Bundle the hook fast path into one CommonJS file: CJS starts ~10 ms faster than ESM on
// Node 20, and one file avoids resolving dozens of modules on every hook call.
import { build } from 'esbuild';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// Modules the hook path imports dynamically, and only when needed: they stay ESM files in
// dist/ (with their npm dependencies) instead of being inlined into every hook's bundle.
const LAZY_MODULES = ['compose/wiring.js', 'config/project-config.js', 'plugin/load.js', 'hook/github-links.js'];

// Modules the built-in plugins load with `import()` (git, settings editing, the daemon's
// taps…) stay out of the bundle and are imported from the plugin's build, which ships in
// confab's own package (`plugins/<name>/dist`), when first used: compiling code a hook rarely runs would cost every hook ~2 ms. Such modules must
// import only types from `confab-cli/provider`, since at run time they see its ESM build, not
// the copy inlined here.
const BUILTIN_PLUGINS = [
  { src: resolve(root, 'plugins/claude-code/src'), dist: 'plugins/claude-code/dist', module: '#builtin/claude-code' },
  { src: resolve(root, 'plugins/codex/src'), dist: 'plugins/codex/dist', module: '#builtin/codex' },
  { src: resolve(root, 'plugins/cursor/src'), dist: 'plugins/cursor/dist', module: '#builtin/cursor' },
  { src: resolve(root, 'plugins/opencode/src'), dist: 'plugins/opencode/dist', module: '#builtin/opencode' },
];
/**
 * The built-in plugins' entries inlined from source, and the modules they load with import()
 * left to their builds, except those named in `inline` (by file name without extension).
 */
const lazyPluginModules = ({ inline = [] } = {}) => ({
  name: 'lazy-plugin-modules',
  setup(b) {
    // The entries are inlined from source.
    b.onResolve({ filter: /^#builtin\// }, (args) => {
      const plugin = BUILTIN_PLUGINS.find((p) => p.module === args.path);
      return plugin ? { path: resolve(plugin.src, 'index.ts') } : undefined;
    });
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const plugin = BUILTIN_PLUGINS.find((p) => args.resolveDir.startsWith(p.src));
      if (!plugin) return undefined;
      const target = resolve(args.resolveDir, args.path);
      if (inline.some((name) => target === resolve(plugin.src, `${name}.js`))) return { path: target.replace(/\.js$/, '.ts') };
      // Relative to dist/, so it resolves inside whatever directory confab is installed in.
      return { path: `../${plugin.dist}/${relative(plugin.src, target)}`, external: true };
    });
  },
});

await build({
  absWorkingDir: root,
  entryPoints: ['src/hook/fast-path.ts'],
  outfile: 'dist/hook.cjs',
  bundle: true,
  platform: 'node',
  // npm packages are never inlined: the hook path must not depend on any, and the lazy
  // modules above load theirs from node_modules.
  packages: 'external',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [
    lazyPluginModules(),
    {
      name: 'lazy-external',
      setup(b) {
        b.onResolve({ filter: /^\.\.?\// }, (args) => {
          const target = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
          const mod = LAZY_MODULES.find((m) => target === resolve(root, 'src', m.replace(/\.js$/, '.ts')));
          if (!mod) return undefined;
          if (args.kind !== 'dynamic-import') {
            return { errors: [{ text: `${mod} must be loaded with import() on the hook path: a static import would load it for every hook` }] };
          }
          return { path: `./${mod}`, external: true };
        });
      },
    },
  ],
  alias: {
    'confab-cli/provider': './src/provider/public.ts',
  },
});


/**
 * `import.meta.url` in a module inlined into a CommonJS bundle: the URL the module has in
 * the package's build (`src/config/x.ts` → `dist/config/x.js`, a built-in plugin's
 * `plugins/<name>/src/x.ts` → `plugins/<name>/dist/x.js`), so what it finds relative to
 * itself (`../index.js`, `../package.json`, packages through createRequire) is what it finds
 * when it runs from dist/.
 */
const moduleUrlsOfDist = {
  name: 'module-urls-of-dist',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await (await import('node:fs/promises')).readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const fromSrc = relative(resolve(root, 'src'), args.path);
      const plugin = BUILTIN_PLUGINS.find((p) => args.path.startsWith(`${p.src}/`));
      let inDist;
      if (!fromSrc.startsWith('..')) inDist = fromSrc;
      else if (plugin) inDist = join('..', plugin.dist, relative(plugin.src, args.path));
      else return { errors: [{ text: `${args.path}: import.meta.url outside src/ and the built-in plugins` }] };
      return { contents: text.replaceAll('import.meta.url', `__confabModuleUrl(${JSON.stringify(inDist.replace(/\.ts$/, '.js'))})`), loader: 'ts' };
    });
  },
};

// A daemon's own bundle (compose/daemon-main.ts): `bin/run.js` loads it instead of the hook
// bundle for a `--bg-daemon` command line. A daemon keeps the source of everything it loaded
// for its whole life (V8 compiles lazily from it), so this one is minified. Every confab module
// a daemon may run is inlined, even those only some daemons run (the embedded store, the HTTP
// client): they stay behind their import(), so a daemon evaluates only its backend's, and one
// copy of each module means one copy of each class (BackendError is matched by instanceof).
await build({
  absWorkingDir: root,
  entryPoints: ['src/compose/daemon-main.ts'],
  outfile: 'dist/daemon.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  // Names kept: a daemon's log shows error names and stack frames.
  keepNames: true,
  legalComments: 'none',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Pure-JS dependencies every daemon runs are inlined; the rest (native bindings, packages
  // only some daemons load) come from node_modules.
  external: ['confab-cli', ...Object.keys(JSON.parse((await import('node:fs')).readFileSync(resolve(root, 'package.json'), 'utf8')).dependencies).filter((name) => !['tapable', 'chokidar'].includes(name))],
  banner: { js: 'var __confabModuleUrl = (file) => require("node:url").pathToFileURL(require("node:path").join(__dirname, file)).href;' },
  // Every daemon runs its provider's taps.
  plugins: [lazyPluginModules({ inline: ['daemon-taps'] }), moduleUrlsOfDist],
  alias: {
    'confab-cli/provider': './src/provider/public.ts',
  },
});

const { readFileSync, writeFileSync } = await import('node:fs');

// bin/run.js compiles the bundle from V8's code cache on Node 20, and code compiled from a
// cache cannot call import() (Node finds no dynamic-import callback for it). So each import()
// becomes a call of `__dyn_` (as long as `import`, so the source map stays exact), which that
// compile passes in as the module wrapper's extra parameter `__confabImport`; loaded by
// require, the bundle imports as usual.
{
  const path = resolve(root, 'dist/hook.cjs');
  const text = readFileSync(path, 'utf8');
  const calls = text.match(/\bimport\("/g)?.length ?? 0;
  const helper = 'var __dyn_ = typeof __confabImport === "function" ? __confabImport : (specifier) => import(specifier);\n';
  const mapLine = text.lastIndexOf('//# sourceMappingURL=');
  const body = text.slice(0, mapLine).replace(/\bimport\("/g, '__dyn_("');
  if (calls === 0 || mapLine < 0) throw new Error('dist/hook.cjs: expected import() calls and a source map comment');
  writeFileSync(path, `${body}${helper}${text.slice(mapLine)}`);
}

// The bundle's content hash, which bin/run.js names its code cache after on Node 20: V8 checks
// a cache only against the source's length, and npm gives every installed file the same mtime.
const { createHash } = await import('node:crypto');
const bundleId = createHash('sha256').update(readFileSync(resolve(root, 'dist/hook.cjs'))).digest('hex').slice(0, 16);
writeFileSync(resolve(root, 'dist/hook.cjs.id'), `${bundleId}\n`);
