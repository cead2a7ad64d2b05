import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import claudeCode from '../src/index.js';
import { tempDir } from './fixtures.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('detect', () => {
  let tmp: ReturnType<typeof tempDir>;
  const saved = { PATH: process.env.PATH, HOME: process.env.HOME };
  beforeEach(() => {
    tmp = tempDir();
    process.env.HOME = join(tmp.path, 'home');
    mkdirSync(process.env.HOME);
    process.env.PATH = join(tmp.path, 'bin');
    delete process.env.CONFAB_CLAUDE_DIR;
  });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    process.env.HOME = saved.HOME;
    tmp.cleanup();
  });

  it('is false with no claude on PATH and no ~/.claude', async () => {
    expect(await claudeCode.detect?.()).toBe(false);
  });

  it('is true when an executable claude is on PATH (not a plain file)', async () => {
    mkdirSync(join(tmp.path, 'bin'));
    writeFileSync(join(tmp.path, 'bin', 'claude'), '#!/bin/sh\n');
    chmodSync(join(tmp.path, 'bin', 'claude'), 0o644);
    if (process.getuid?.() !== 0) expect(await claudeCode.detect?.()).toBe(false);
    chmodSync(join(tmp.path, 'bin', 'claude'), 0o755);
    expect(await claudeCode.detect?.()).toBe(true);
  });

  it('is true when the Claude dir exists', async () => {
    mkdirSync(join(process.env.HOME as string, '.claude'));
    expect(await claudeCode.detect?.()).toBe(true);
  });
});

describe('the hook bundle', () => {
  it('keeps the provider’s heavy modules out and can load each of them from confab’s own package', async () => {
    const bundle = readFileSync(join(repoRoot, 'dist', 'hook.cjs'), 'utf8');
    // Each lazy import() is written `__dyn_(…)` in the bundle (see scripts/bundle-hook.mjs).
    const specifiers = [...bundle.matchAll(/__dyn_\("(\.\.\/plugins\/claude-code\/dist\/[^"]+)"\)/g)].map((m) => m[1] as string);
    expect(new Set(specifiers)).toEqual(
      new Set(['daemon-taps', 'detect', 'settings-hooks', 'session-scan', 'restore-paths'].map((m) => `../plugins/claude-code/dist/${m}.js`)),
    );
    // (core's own daemon spawning needs node:child_process; the plugin's git calls must not be inlined)
    for (const heavy of ['git remote', 'rev-parse', 'settings.json.confab-lock', 'extractMetadata']) expect(bundle).not.toContain(heavy);
    // Resolved the way the bundle resolves them: relative to dist/hook.cjs, inside confab's package.
    const { createRequire } = await import('node:module');
    const resolveFromDist = createRequire(join(repoRoot, 'dist', 'hook.cjs'));
    for (const spec of specifiers) {
      const mod = (await import(pathToFileURL(resolveFromDist.resolve(spec)).href)) as Record<string, unknown>;
      expect(Object.keys(mod).length).toBeGreaterThan(0);
    }
  });

  it('lazy modules take no class from confab-cli/provider (at run time they see another copy of it)', () => {
    const dist = join(repoRoot, 'plugins', 'claude-code', 'dist');
    const eager = new Set(['index.js', 'hook-payload.js', 'parent-process.js']);
    for (const file of readdirSync(dist).filter((f) => f.endsWith('.js') && !eager.has(f))) {
      const code = readFileSync(join(dist, file), 'utf8');
      // Stateless helpers (onPath, …) are fine from either copy; an error class is not (instanceof).
      expect(code, file).not.toMatch(/import \{[^}]*HookInputError[^}]*\} from ['"]confab(\/provider)?['"]/);
      expect(code, file).not.toMatch(/from ['"]\.\/(index|hook-payload)\.js['"]/);
    }
  });
});
