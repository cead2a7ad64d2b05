import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codex } from '../src/index.js';

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

describe('Codex detection', () => {
  it('finds Codex by its home directory or by a codex executable on PATH', async () => {
    const root = mkdtempSync(join(tmpdir(), 'confab-codex-detect-'));
    process.env.CONFAB_CODEX_DIR = join(root, 'no-codex-here');
    process.env.PATH = join(root, 'empty-bin');
    expect(await codex.detect!()).toBe(false);

    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'codex'), '#!/bin/sh\n');
    process.env.PATH = `${join(root, 'empty-bin')}:${bin}`;
    expect(await codex.detect!()).toBe(false); // not executable yet
    chmodSync(join(bin, 'codex'), 0o755);
    expect(await codex.detect!()).toBe(true);

    process.env.PATH = join(root, 'empty-bin');
    mkdirSync(process.env.CONFAB_CODEX_DIR);
    expect(await codex.detect!()).toBe(true);
  });
});
