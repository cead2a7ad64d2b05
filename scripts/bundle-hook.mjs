// Bundle the hook fast path into one CommonJS file: CJS starts ~10 ms faster than ESM on
// Node 20, and one file avoids resolving dozens of modules on every hook call.
import { build } from 'esbuild';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// Modules the built-in plugin loads with `import()` (git, settings editing, the daemon's
// taps…) stay out of the bundle and are imported from the plugin's package when first
// used: compiling code a hook rarely runs would cost every hook ~2 ms. Such modules must
// import only types from `confab/provider`, since at run time they see its ESM build, not
// the copy inlined here.
const pluginSrc = resolve(root, 'plugins/claude-code/src');
const lazyPluginModules = {
  name: 'lazy-plugin-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = resolve(args.resolveDir, args.path);
      if (!args.resolveDir.startsWith(pluginSrc)) return undefined;
      return { path: `@confab/plugin-claude-code/dist/${relative(pluginSrc, target)}`, external: true };
    });
  },
};

await build({
  absWorkingDir: root,
  entryPoints: ['src/hook/fast-path.ts'],
  outfile: 'dist/hook.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  alias: {
    'confab/provider': './src/provider/public.ts',
    '@confab/plugin-claude-code': './plugins/claude-code/src/index.ts',
  },
  plugins: [lazyPluginModules],
});
