import { getProvider, knownProviderNames } from 'confab-cli';
import { ESLint } from 'eslint';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import codexDefault from '../src/index.js';

const pluginDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(pluginDir, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every module specifier a file imports: static, re-exported and dynamic. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\b(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    found.push((m[1] ?? m[2] ?? m[3]) as string);
  }
  return found;
}

describe('the Codex plugin uses only confab’s public API', () => {
  it('imports nothing from confab but "confab-cli" and "confab-cli/provider"', () => {
    const allowedPackages = new Set(['confab-cli', 'confab-cli/provider', 'smol-toml']);
    const src = join(pluginDir, 'src');
    const files = sourceFiles(src);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) {
          const target = normalize(join(dirname(file), spec));
          expect(relative(src, target).startsWith('..'), `${relative(pluginDir, file)} imports ${spec}`).toBe(false);
        } else if (spec.startsWith('node:')) {
          expect(builtinModules).toContain(spec.slice(5));
        } else {
          expect(allowedPackages, `${relative(pluginDir, file)} imports ${spec}`).toContain(spec);
        }
      }
    }
  });

  it('is enforced by ESLint for every file of the plugin', async () => {
    const eslint = new ESLint({ cwd: repoRoot });
    const lint = async (code: string, file: string) => {
      const [result] = await eslint.lintText(code, { filePath: join(pluginDir, file) });
      return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => m.message);
    };
    const banned = [
      "import { syncDir } from '../../../src/paths.js';\nexport const x = syncDir;\n",
      "import { getProvider } from '../../../src/provider/registry.js';\nexport const x = getProvider;\n",
      "export { writeFileAtomic } from '../../../src/fs/private-files.js';\n",
      "import { syncDir } from 'confab-cli/dist/paths.js';\nexport const x = syncDir;\n",
      "import { syncDir } from '/work/confab/src/paths.js';\nexport const x = syncDir;\n",
      "export async function f() {\n  return import('../../../src/daemon/state-store.js');\n}\n",
      "export async function f() {\n  return import('confab-cli/dist/provider/registry.js');\n}\n",
    ];
    for (const code of banned) {
      expect(await lint(code, 'src/bad.ts'), code).toEqual([expect.stringMatching(/public API/)]);
      expect(await lint(code, 'test/bad.test.ts'), code).toEqual([expect.stringMatching(/public API/)]);
    }
    const allowed =
      "import { defineProvider } from 'confab-cli/provider';\nimport { getProvider } from 'confab-cli';\nimport { x } from '../src/rollout.js';\nexport const y = [defineProvider, getProvider, x, () => import('./rollout.js')];\n";
    expect(await lint(allowed, 'test/good.test.ts')).toEqual([]);
    // The rule is scoped to the plugin: core may import its own sources.
    expect(await lint(banned[0] as string, '../../src/some-core-file.ts')).toEqual([]);
  });

  it('ships as a package whose entry is the built dist, with confab-cli as a peer', () => {
    const pkg = JSON.parse(readFileSync(join(pluginDir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@confab/plugin-codex');
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(pkg.peerDependencies).toEqual({ 'confab-cli': '*' });
  });

  it('is a built-in provider of confab (`--provider codex`)', async () => {
    expect(knownProviderNames()).toContain('codex');
    const p = await getProvider('codex');
    expect(p.name).toBe('codex');
    expect(p.hookResponse('session-start', {})).toEqual({ continue: true });
    expect(typeof p.resolveRoot).toBe('function');
    expect(codexDefault.name).toBe('codex');
  });
});
