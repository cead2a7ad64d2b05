import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasProjectConfigCandidate, loadProjectConfig } from '../../src/config/project-config.js';
import { resolveSettings } from '../../src/config/settings.js';
import { ConfigError, loadUserConfig, NoBindingError, resolveBinding, saveUserConfig } from '../../src/config/user-config.js';
import { REPO_ROOT, useTempHome } from '../helpers/sandbox.js';

const home = useTempHome();
const KEY_A = `cfb_${'a'.repeat(40)}`;
const KEY_B = `cfb_${'b'.repeat(40)}`;

function userConfig(body: object): string {
  const path = join(home(), '.confab', 'config.json');
  mkdirSync(join(home(), '.confab'), { recursive: true });
  writeFileSync(path, JSON.stringify(body));
  return path;
}

function project(files: Record<string, string>): string {
  const dir = join(home(), 'work', 'repo');
  mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

describe('user config (~/.confab/config.json)', () => {
  it('reads the Go CLI keys and treats a missing file as empty', () => {
    expect(loadUserConfig()).toEqual({ backend_url: '', api_key: '' });
    userConfig({ backend_url: 'https://confab.example.com', api_key: KEY_A, log_level: 'debug', redaction: { enabled: true, use_default_patterns: true } });
    expect(loadUserConfig()).toMatchObject({ backend_url: 'https://confab.example.com', api_key: KEY_A, redaction: { enabled: true } });
  });

  it('names the file and the key on bad values, without echoing the key', () => {
    const path = userConfig({ backend_url: 'ftp://x', api_key: '' });
    expect(() => loadUserConfig()).toThrow(`${path}: "backend_url" must use http or https`);
    userConfig({ backend_url: '', api_key: 'sk-secret-not-confab-key' });
    expect(() => loadUserConfig()).toThrow(ConfigError);
    try {
      loadUserConfig();
    } catch (err) {
      expect(String(err)).not.toContain('sk-secret');
    }
    writeFileSync(path, '{ nope');
    expect(() => loadUserConfig()).toThrow(`${path} is not valid JSON`);
  });

  it('saves 0600 in a 0700 dir, Go key order, unknown keys kept', () => {
    const old = process.umask(0);
    try {
      saveUserConfig({ api_key: KEY_A, backend_url: 'http://127.0.0.1:8787', future_key: { x: 1 } });
      const path = join(home(), '.confab', 'config.json');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(home(), '.confab')).mode & 0o777).toBe(0o700);
      expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')))).toEqual(['backend_url', 'api_key', 'future_key']);
    } finally {
      process.umask(old);
    }
  });

  it('resolves per-config-dir bindings and never falls back to the default backend', () => {
    const cfg = { backend_url: 'https://a.example', api_key: KEY_A, bindings: { 'claude-code': { [join(home(), 'work-claude')]: { backend_url: 'https://b.example', api_key: KEY_B } } } };
    mkdirSync(join(home(), 'work-claude'));
    expect(resolveBinding(cfg, 'claude-code', '', join(home(), '.claude')).backend_url).toBe('https://a.example');
    expect(resolveBinding(cfg, 'claude-code', join(home(), 'work-claude'), join(home(), '.claude')).backend_url).toBe('https://b.example');
    expect(() => resolveBinding(cfg, 'claude-code', join(home(), 'other'), join(home(), '.claude'))).toThrow(NoBindingError);
  });
});

describe('project config', () => {
  it('loads confab.config.ts with a type import and defineConfig, from a nested cwd', async () => {
    const dir = project({
      'confab.config.ts': `import { defineConfig, type ProjectConfig } from 'confab-cli';\nconst sync: ProjectConfig['sync'] = { intervalMs: 1234 };\nexport default defineConfig({ sync, enabled: true });\n`,
    });
    const loaded = await loadProjectConfig(join(dir, 'src', 'deep'));
    expect(loaded?.filepath).toBe(join(dir, 'confab.config.ts'));
    expect(loaded?.config.sync?.intervalMs).toBe(1234);
  });

  it('loads .json, .confabrc and package.json#confab', async () => {
    expect((await loadProjectConfig(project({ 'confab.config.json': '{"enabled": false}' })))?.config.enabled).toBe(false);
  });

  it('reads package.json#confab and .confabrc', async () => {
    const dir = project({ 'package.json': JSON.stringify({ name: 'x', confab: { sync: { jitterMs: 7 } } }) });
    expect((await loadProjectConfig(dir))?.config.sync?.jitterMs).toBe(7);
    const dir2 = join(home(), 'rc');
    mkdirSync(dir2);
    writeFileSync(join(dir2, '.confabrc'), '{"enabled": false}');
    expect((await loadProjectConfig(dir2))?.config.enabled).toBe(false);
  });

  it('refuses a typo with the file and key named, and suggests the right key', async () => {
    const dir = project({ 'confab.config.ts': `export default { sycn: { intervalMs: 5 } };\n` });
    await expect(loadProjectConfig(dir)).rejects.toThrow(`${join(dir, 'confab.config.ts')}: unknown key "sycn" (did you mean "sync"?)`);
  });

  it('refuses wrong types and nested unknown keys', async () => {
    const dir = project({ 'confab.config.json': '{"sync": {"intervalMs": "fast"}}' });
    await expect(loadProjectConfig(dir)).rejects.toThrow(/"sync.intervalMs" must be an integer/);
    const dir2 = project({ 'confab.config.json': '{"redaction": {"patterns": [{"name": "x", "type": "T", "patern": "a"}]}}' });
    await expect(loadProjectConfig(dir2)).rejects.toThrow(/redaction.patterns\[0\]: unknown key "patern" \(did you mean "pattern"\?\)/);
  });

  it('reports a syntax error in a .ts config as one line naming the file', async () => {
    const dir = project({ 'confab.config.ts': 'export default {{{' });
    const err = await loadProjectConfig(dir).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toContain(join(dir, 'confab.config.ts'));
    expect(err?.message.split('\n')).toHaveLength(1);
  });

  it('skips loading entirely when no candidate file exists (hook fast path)', () => {
    const dir = join(home(), 'plain', 'dir');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(home(), 'plain', 'package.json'), '{"name":"no-confab-key"}');
    expect(hasProjectConfigCandidate(dir)).toBe(false);
    writeFileSync(join(home(), 'plain', '.confabrc.json'), '{}');
    expect(hasProjectConfigCandidate(dir)).toBe(true);
  });

  it("loads this repository's own confab.config.ts", async () => {
    const loaded = await loadProjectConfig(REPO_ROOT);
    expect(loaded?.filepath).toBe(join(REPO_ROOT, 'confab.config.ts'));
    expect(typeof loaded?.config.apply).toBe('function');
    expect(loaded?.config.redaction?.patterns?.[0]?.pattern).toBeInstanceOf(RegExp);
  });
});

describe('settings precedence: default < user < project < env < flag', () => {
  it("for the upload limit: confab-web's for an HTTP backend, none for the embedded store", async () => {
    const dir = join(home(), 'empty');
    mkdirSync(dir);
    expect((await resolveSettings({ cwd: dir, env: {} })).uploadLimit).toBeUndefined();
    userConfig({ backend_url: 'https://confab.example.com', api_key: KEY_A });
    expect((await resolveSettings({ cwd: dir, env: {} })).uploadLimit).toEqual({ ratePerSec: 10_000 / 3600, burst: 2000 });
    userConfig({ backend_url: 'https://confab.example.com', api_key: KEY_A, upload_limit: { per_second: 5, burst: 50 } });
    expect((await resolveSettings({ cwd: dir, env: {} })).uploadLimit).toEqual({ ratePerSec: 5, burst: 50 });
    expect((await resolveSettings({ cwd: dir, env: { CONFAB_UPLOAD_LIMIT: '1.5/20' } })).uploadLimit).toEqual({ ratePerSec: 1.5, burst: 20 });
    expect((await resolveSettings({ cwd: dir, env: { CONFAB_UPLOAD_LIMIT: 'off' } })).uploadLimit).toBeUndefined();
    const bad = await resolveSettings({ cwd: dir, env: { CONFAB_UPLOAD_LIMIT: 'fast' } });
    expect(bad.uploadLimit).toEqual({ ratePerSec: 5, burst: 50 });
    expect(bad.warnings[0]).toContain('CONFAB_UPLOAD_LIMIT');
    userConfig({ backend_url: 'https://confab.example.com', api_key: KEY_A, upload_limit: false });
    expect((await resolveSettings({ cwd: dir, env: {} })).uploadLimit).toBeUndefined();
    userConfig({ backend_url: 'https://confab.example.com', api_key: KEY_A, upload_limit: { per_second: 0 } });
    await expect(resolveSettings({ cwd: dir, env: {} })).rejects.toThrow(/upload_limit/);
  });

  it('for the sync interval', async () => {
    const dir = join(home(), 'empty');
    mkdirSync(dir);
    expect((await resolveSettings({ cwd: dir, env: {} })).intervalMs).toBe(30_000);
    userConfig({ backend_url: '', api_key: '', sync_interval_ms: 1000 });
    expect(await resolveSettings({ cwd: dir, env: {} })).toMatchObject({ intervalMs: 1000, intervalSource: 'user' });
    const repo = project({ 'confab.config.json': '{"sync": {"intervalMs": 2000}}' });
    expect(await resolveSettings({ cwd: repo, env: {} })).toMatchObject({ intervalMs: 2000, intervalSource: 'project' });
    expect(await resolveSettings({ cwd: repo, env: { CONFAB_SYNC_INTERVAL_MS: '3000' } })).toMatchObject({ intervalMs: 3000, intervalSource: 'env' });
    expect(await resolveSettings({ cwd: repo, env: { CONFAB_SYNC_INTERVAL_MS: '3000' }, flags: { intervalMs: 4000 } })).toMatchObject({ intervalMs: 4000, intervalSource: 'flag' });
    const bad = await resolveSettings({ cwd: repo, env: { CONFAB_SYNC_INTERVAL_MS: 'soon' } });
    expect(bad.intervalMs).toBe(2000);
    expect(bad.warnings[0]).toContain('CONFAB_SYNC_INTERVAL_MS');
  });

  it('for the jitter: the default only when neither interval nor jitter is set anywhere', async () => {
    const dir = join(home(), 'empty');
    mkdirSync(dir);
    expect(await resolveSettings({ cwd: dir, env: {} })).toMatchObject({ intervalMs: 30_000, jitterMs: 5_000 });
    expect(await resolveSettings({ cwd: dir, env: { CONFAB_SYNC_INTERVAL_MS: '250' } })).toMatchObject({ intervalMs: 250, jitterMs: 0 });
    expect(await resolveSettings({ cwd: dir, env: { CONFAB_SYNC_INTERVAL_MS: '250', CONFAB_SYNC_JITTER_MS: '40' } })).toMatchObject({ jitterMs: 40 });
    userConfig({ backend_url: '', api_key: '', sync_interval_ms: 1000 });
    expect(await resolveSettings({ cwd: dir, env: {} })).toMatchObject({ intervalMs: 1000, jitterMs: 0 });
    const repo = project({ 'confab.config.json': '{"sync": {"jitterMs": 9}}' });
    expect(await resolveSettings({ cwd: repo, env: {} })).toMatchObject({ intervalMs: 1000, jitterMs: 9 });
  });

  it('for the backend', async () => {
    const dir = join(home(), 'empty');
    mkdirSync(dir);
    expect((await resolveSettings({ cwd: dir, env: {} })).backend).toEqual({ kind: 'local' });
    userConfig({ backend_url: 'https://user.example', api_key: KEY_A });
    expect((await resolveSettings({ cwd: dir, env: {} })).backend).toEqual({ kind: 'http', url: 'https://user.example', apiKey: KEY_A });
    const repo = project({ 'confab.config.json': '{"backend": "local"}' });
    expect(await resolveSettings({ cwd: repo, env: {} })).toMatchObject({ backend: { kind: 'local' }, backendSource: 'project' });
    const env = { CONFAB_BACKEND_URL: 'http://127.0.0.1:9', CONFAB_API_KEY: KEY_B };
    expect(await resolveSettings({ cwd: repo, env })).toMatchObject({ backend: { kind: 'http', url: 'http://127.0.0.1:9', apiKey: KEY_B }, backendSource: 'env' });
    expect(await resolveSettings({ cwd: repo, env, flags: { backendUrl: 'local' } })).toMatchObject({ backend: { kind: 'local' }, backendSource: 'flag' });
    await expect(resolveSettings({ cwd: dir, env: { CONFAB_BACKEND_URL: 'https://nokey.example' } })).rejects.toThrow(/no API key is configured/);
  });

  it('keeps redaction on unless a layer turns it off, and merges patterns', async () => {
    const dir = join(home(), 'empty');
    mkdirSync(dir);
    expect((await resolveSettings({ cwd: dir, env: {} })).redaction).toEqual({ enabled: true, useDefaultPatterns: true, patterns: [] });
    userConfig({ backend_url: '', api_key: '', redaction: { enabled: true, patterns: [{ name: 'u', type: 'U', pattern: 'u+' }] } });
    const repo = project({ 'confab.config.json': '{"redaction": {"patterns": [{"name": "p", "type": "P", "pattern": "p+"}]}}' });
    const r = (await resolveSettings({ cwd: repo, env: {} })).redaction;
    expect(r.patterns.map((p) => p.name)).toEqual(['u', 'p']);
    userConfig({ backend_url: '', api_key: '', redaction: { enabled: false } });
    expect((await resolveSettings({ cwd: dir, env: {} })).redaction.enabled).toBe(false);
  });
});
