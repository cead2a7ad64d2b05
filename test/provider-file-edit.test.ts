import { lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editAgentFile, readAgentFile } from '../src/provider/file-edit.js';

describe('editAgentFile', () => {
  it('starts over from the new text when the agent writes the file during the edit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'confab-edit-'));
    const file = join(dir, 'hooks.json');
    writeFileSync(file, 'one\n');
    const seen: (string | undefined)[] = [];
    const res = await editAgentFile(file, (text) => {
      seen.push(text);
      // The agent's own write lands between confab's read and its rename.
      if (seen.length === 1) writeFileSync(file, 'two\n');
      return `${text ?? ''}confab\n`;
    });
    expect(res).toEqual({ path: file, changed: true });
    expect(seen).toEqual(['one\n', 'two\n']);
    expect(readFileSync(file, 'utf8')).toBe('two\nconfab\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['hooks.json']);
  });

  it('gives up with one line when the file never holds still', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'confab-edit-'));
    const file = join(dir, 'hooks.json');
    let n = 0;
    await expect(editAgentFile(file, () => (writeFileSync(file, String(n++)), 'mine'))).rejects.toThrow(`${file} kept changing while confab was editing it; try again`);
  });

  it('edits a symlinked file at its target, deletes on null, and leaves a missing file alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'confab-edit-'));
    const target = join(dir, 'real.json');
    const link = join(dir, 'hooks.json');
    writeFileSync(target, 'a');
    symlinkSync(target, link);
    await editAgentFile(link, (text) => `${text ?? ''}b`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await readAgentFile(link)).toBe('ab');
    expect((await editAgentFile(join(dir, 'absent.json'), () => null)).changed).toBe(false);
    expect((await editAgentFile(target, () => null)).changed).toBe(true);
    expect(await readAgentFile(target)).toBeUndefined();
    await expect(editAgentFile('relative.json', () => 'x')).rejects.toThrow('config path must be absolute');
  });
});
