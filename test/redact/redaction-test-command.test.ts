import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();
const KEY = 'AKIAIOSFODNN7EXAMPLE';
const INPUT = [`{"type":"user","message":{"content":"key ${KEY}"},"n":1.0}`, '{"type":"assistant","big":123456789012345678901234567890}', `{"password":"hunter22"}`, `raw ${KEY} line without newline`].join('\n');
const EXPECTED = [
  '{"type":"user","message":{"content":"key [REDACTED:AWS_KEY]"},"n":1.0}',
  '{"type":"assistant","big":123456789012345678901234567890}',
  '{"password":"[REDACTED:SENSITIVE_FIELD]"}',
  'raw [REDACTED:AWS_KEY] line without newline',
].join('\n');

function writeInput(name = 'session.jsonl', text = INPUT): string {
  const path = join(sandbox().dir('in'), name);
  writeFileSync(path, text);
  return path;
}

function writeUserConfig(config: unknown): void {
  mkdirSync(sandbox().confabDir, { recursive: true });
  writeFileSync(join(sandbox().confabDir, 'config.json'), JSON.stringify(config));
}

describe('confab redaction-test', () => {
  it('prints a file redacted, keeping its lines exactly', async () => {
    const res = await sandbox().run(['redaction-test', writeInput()]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(EXPECTED);
  });

  it("adds the patterns of the project config found from the current directory", async () => {
    const project = sandbox().dir('repo');
    writeFileSync(join(project, 'confab.config.ts'), "export default { redaction: { patterns: [{ name: 'host', pattern: /\\bcorp\\.internal\\b/, type: 'HOST' }] } };\n");
    const res = await sandbox().run(['redaction-test', '-'], { input: '{"cmd":"ssh build.corp.internal"}\n', cwd: project });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('{"cmd":"ssh build.[REDACTED:HOST]"}\n');
  });

  it('reads standard input with -', async () => {
    const res = await sandbox().run(['redaction-test', '-'], { input: `${INPUT}\n` });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`${EXPECTED}\n`);
  });

  it('prints counts by type with --stats, on stderr after the output', async () => {
    const res = await sandbox().run(['redaction-test', writeInput(), '--stats']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(EXPECTED);
    expect(res.stderr).toMatch(/^redacted 3 secret\(s\) in 3 of 4 line\(s\)\n {2}AWS_KEY +2\n {2}SENSITIVE_FIELD +1\n$/);
  });

  it('prints only the counts, as JSON, with --json', async () => {
    const res = await sandbox().run(['redaction-test', writeInput(), '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({
      redaction_enabled: true,
      lines: 4,
      changed_lines: 3,
      redactions: 3,
      by_type: { AWS_KEY: 2, SENSITIVE_FIELD: 1 },
    });
  });

  it('uses custom patterns from ~/.confab/config.json', async () => {
    writeUserConfig({ backend_url: 'https://x', redaction: { use_default_patterns: false, patterns: [{ name: 'Internal', type: 'host', pattern: '(?i)corp\\.internal' }] } });
    const res = await sandbox().run(['redaction-test', '-'], { input: `{"a":"db.CORP.internal ${KEY}"}\n` });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`{"a":"db.[REDACTED:HOST] ${KEY}"}\n`);
  });

  it('works when redaction is disabled in the config, and says so', async () => {
    writeUserConfig({ redaction: { enabled: false } });
    const res = await sandbox().run(['redaction-test', writeInput()]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(EXPECTED);
    expect(res.stderr).toMatch(/^confab: redaction is disabled in .*config\.json \(redaction\.enabled: false\); showing what it would do if enabled\n$/);
  });

  it('fails with one line for a file it cannot read', async () => {
    const res = await sandbox().run(['redaction-test', join(sandbox().root, 'missing.jsonl')]);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^confab: cannot read .*missing\.jsonl: ENOENT[^\n]*\n$/);

    const dir = await sandbox().run(['redaction-test', sandbox().root]);
    expect(dir.code).not.toBe(0);
    expect(dir.stderr).toMatch(/^confab: cannot read [^\n]*EISDIR[^\n]*\n$/);
  });

  it('fails with one line naming an invalid custom pattern', async () => {
    writeUserConfig({ redaction: { patterns: [{ name: 'Broken', type: 'x', pattern: '(unclosed' }] } });
    const res = await sandbox().run(['redaction-test', writeInput()]);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^confab: .*config\.json: redaction\.patterns\[0\] \("Broken"\)\.pattern: invalid regular expression[^\n]*\n$/);
  });

  it('fails with one line when the config leaves no patterns', async () => {
    writeUserConfig({ redaction: { use_default_patterns: false } });
    const res = await sandbox().run(['redaction-test', writeInput()]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/^confab: no redaction patterns: [^\n]*\n$/);
  });

  it('fails with one line for a config.json that is not JSON', async () => {
    mkdirSync(sandbox().confabDir, { recursive: true });
    writeFileSync(join(sandbox().confabDir, 'config.json'), '{ nope');
    const res = await sandbox().run(['redaction-test', writeInput()]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/^confab: .*config\.json is not valid JSON: [^\n]*\n$/);
  });
});
