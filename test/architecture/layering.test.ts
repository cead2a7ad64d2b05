import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../../scripts/layers.mjs';
import { REPO_ROOT } from '../helpers/sandbox.js';

/** Lint `code` with the project's eslint config as if it were the file `path` of the tree. */
async function lintAs(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO_ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(REPO_ROOT, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the layering lint rule', () => {
  it('fails on an upward import (the store importing the daemon)', async () => {
    const messages = await lintAs('src/store/layering-fixture.ts', "import { Daemon } from '../daemon/daemon.js';\n\nexport const daemon = Daemon;\n");
    expect(messages).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: .*"\.\.\/daemon\/daemon\.js".*src\/store \(layer \d+ /)]);
  });

  it('fails on an upward dynamic import()', async () => {
    const messages = await lintAs('src/extension/layering-fixture.ts', "export async function daemon() {\n  return import('../daemon/daemon.js');\n}\n");
    expect(messages).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: /)]);
  });

  it('fails on an import of a neighbour in the same layer (redaction importing the sync engine)', async () => {
    const messages = await lintAs('src/redact/layering-fixture.ts', "import { SyncEngine } from '../sync/engine.js';\n\nexport const engine = SyncEngine;\n");
    expect(messages).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: .*"\.\.\/sync\/engine\.js"/)]);
  });

  it('passes a downward import and an import inside the same folder', async () => {
    const code = "import { SyncEngine } from '../sync/engine.js';\nimport { createDaemonHooks } from '../extension/daemon-hooks.js';\nimport { isProcessAlive } from '../process/liveness.js';\nimport { Daemon } from './daemon.js';\n\nexport const all = [SyncEngine, createDaemonHooks, isProcessAlive, Daemon];\n";
    expect(await lintAs('src/daemon/layering-fixture.ts', code)).toEqual([]);
  });

  it('places every folder and top-level module of src/ in a layer', () => {
    const entries = readdirSync(join(REPO_ROOT, 'src'), { withFileTypes: true })
      .map((e) => e.name)
      .sort();
    expect(LAYERS.flat().sort()).toEqual(entries);
  });

  it('is the layering docs/architecture.md draws: every entry named in its layer', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
    LAYERS.forEach((layer, level) => {
      const row = doc.split('\n').find((line) => line.startsWith(`| ${level} |`));
      expect(row, `layer ${level}`).toBeDefined();
      for (const entry of layer) expect(row, `layer ${level}: ${entry}`).toContain(`\`${entry.endsWith('.ts') ? entry : `${entry}/`}\``);
    });
  });
});
