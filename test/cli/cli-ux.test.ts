import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFAB_BIN, useSandbox, type Sandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

/** No colour settings from the environment the tests run in. */
const PLAIN = { NO_COLOR: undefined, FORCE_COLOR: undefined };

function writeSession(sbx: Sandbox, id: string): void {
  const dir = join(sbx.claudeDir, 'projects', '-w');
  mkdirSync(dir, { recursive: true });
  const line = { type: 'user', sessionId: id, cwd: '/w', uuid: 'u1', message: { role: 'user', content: 'hello' } };
  writeFileSync(join(dir, `${id}.jsonl`), `${JSON.stringify(line)}\n`);
}

describe('unknown commands', () => {
  it('say which command was meant, in one line on stderr, and exit non-zero', async () => {
    const sbx = sandbox();
    const res = await sbx.run(['lsit']);
    expect(res.code).toBe(127);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe('Error: "lsit" is not a confab command. Did you mean "confab list"? (see confab --help)\n');

    const sub = await sbx.run(['sync', 'stauts']);
    expect(sub.code).toBe(127);
    expect(sub.stderr).toBe('Error: "sync stauts" is not a confab command. Did you mean "confab sync status"? (see confab --help)\n');

    const far = await sbx.run(['qwertyuiop']);
    expect(far.code).toBe(127);
    expect(far.stderr).toBe('Error: "qwertyuiop" is not a confab command. (see confab --help)\n');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('on a terminal, offer to run the command meant (oclif not-found) and run it when accepted', async () => {
    const sbx = sandbox();
    // `script` gives the command a terminal; "y" answers the prompt.
    const res = await sbx.exec('/usr/bin/script', ['-qec', `${process.execPath} ${CONFAB_BIN} sttaus --json`, '/dev/null'], { input: 'y\n', env: { ...PLAIN, NO_COLOR: '1' } });
    expect(res.stdout).toContain('Did you mean status?');
    expect(res.stdout).toContain('"backend"');
  });
});

describe('shell completion', () => {
  it.skipIf(!existsSync('/bin/bash'))('bash completes commands, topics and flags (space-separated)', async () => {
    const sbx = sandbox();
    const setup = await sbx.run(['autocomplete', 'script', 'bash']);
    expect(setup.code).toBe(0);
    expect(setup.stdout).toContain('bash_setup');
    const complete = (words: string[]) =>
      sbx.exec('/bin/bash', [
        '-c',
        `${setup.stdout.trim()}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _confab_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ]);
    // The cache is built by `confab autocomplete`, which the setup instructions run first.
    expect((await sbx.run(['autocomplete', 'bash'])).code).toBe(0);
    const top = await complete(['confab', 'sa']);
    expect(top.stdout.trim().split('\n')).toEqual(['save']);
    const keys = await complete(['confab', 'serve', 'keys', '']);
    expect(keys.stdout.trim().split('\n').sort()).toEqual(['create', 'list', 'revoke']);
    const flags = await complete(['confab', 'serve', '--tr']);
    expect(flags.stdout.trim()).toBe('--trust-proxy');
  });

  it('a zsh script is generated too', async () => {
    const sbx = sandbox();
    expect((await sbx.run(['autocomplete', 'zsh'])).code).toBe(0);
    expect(existsSync(join(sbx.home, '.cache', 'confab', 'autocomplete', 'functions', 'zsh', '_confab'))).toBe(true);
  });
});

describe('colour', () => {
  it('is off when not on a terminal, on with FORCE_COLOR, and off with NO_COLOR whatever else says', async () => {
    const sbx = sandbox();
    writeSession(sbx, 'cccc0000-0000-4000-8000-000000000001');
    const plain = await sbx.run(['list'], { env: PLAIN });
    expect(plain.stdout).toContain('not synced');
    expect(plain.stdout).not.toContain('\u001b[');
    const forced = await sbx.run(['list'], { env: { ...PLAIN, FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain('\u001b[');
    const forcedOff = await sbx.run(['list'], { env: { ...PLAIN, FORCE_COLOR: '0' } });
    expect(forcedOff.stdout).not.toContain('\u001b[');
    const none = await sbx.run(['list'], { env: { ...PLAIN, FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(none.stdout).not.toContain('\u001b[');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('NO_COLOR turns it off on a terminal', async () => {
    const sbx = sandbox();
    writeSession(sbx, 'cccc0000-0000-4000-8000-000000000001');
    const tty = (env: NodeJS.ProcessEnv) => sbx.exec('/usr/bin/script', ['-qec', `${process.execPath} ${CONFAB_BIN} status`, '/dev/null'], { env: { ...PLAIN, ...env } });
    expect((await tty({})).stdout).toContain('\u001b[');
    expect((await tty({ NO_COLOR: '1' })).stdout).not.toContain('\u001b[');
  });
});
