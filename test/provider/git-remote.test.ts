import { stripUrlCredentials } from 'confab-cli/provider';
import { describe, expect, it } from 'vitest';

describe('stripUrlCredentials (git remotes sent in git_info)', () => {
  it('drops a user and password from an http(s) URL', () => {
    expect(stripUrlCredentials('https://user:s3cret@github.com/o/r.git')).toBe('https://github.com/o/r.git');
    expect(stripUrlCredentials('http://x-access-token:ghs_abc@host:8080/r')).toBe('http://host:8080/r');
  });

  it('drops a token given as the user name alone', () => {
    expect(stripUrlCredentials('https://ghp_0123456789abcdef0123456789abcdef0123@github.com/o/r.git')).toBe('https://github.com/o/r.git');
    expect(stripUrlCredentials('git+https://glpat-secret@gitlab.com/o/r.git')).toBe('git+https://gitlab.com/o/r.git');
  });

  it('takes the whole user info when the password holds an unescaped @', () => {
    expect(stripUrlCredentials('https://user:p@ss@host/r.git')).toBe('https://host/r.git');
  });

  it('keeps the account name of other schemes, dropping only a password', () => {
    expect(stripUrlCredentials('ssh://git@host/r.git')).toBe('ssh://git@host/r.git');
    expect(stripUrlCredentials('ssh://git:pw@host/r.git')).toBe('ssh://git@host/r.git');
  });

  it('leaves URLs without user info, scp-like remotes and paths as they are', () => {
    for (const url of ['https://github.com/o/r.git', 'git@github.com:o/r.git', '/srv/mirror.git', 'https://host/a@b', 'file:///srv/r.git']) {
      expect(stripUrlCredentials(url)).toBe(url);
    }
  });
});
