import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as confab from 'confab-cli';
import * as providerApi from 'confab-cli/provider';
import { FileStore } from '../src/store/file-store.js';
import { REPO_ROOT, useTempHome, waitFor } from './helpers/sandbox.js';

const home = useTempHome();

/** The Go CLI's `pkg/daemon`, as the README's "Library API" table lists it. */
const SEED_EXPORTS = [
  'Daemon',
  'DEFAULT_SYNC_INTERVAL_MS',
  'getSyncDir',
  'getStatePathForProvider',
  'getInboxPathForProvider',
  'newStateForProvider',
  'loadStateForProvider',
  'listAllStates',
  'isDaemonRunning',
  'isParentRunning',
  'stopDaemon',
  'stopDaemonForProvider',
] as const;

/**
 * Every value the package has published, at the time its source was given one direction of
 * dependency: names may be added, never dropped (plugins and scripts import them).
 */
const PUBLISHED = {
  'confab-cli': [
  'BackendError', 'DEFAULT_PATTERNS', 'DEFAULT_SYNC_INTERVAL_MS', 'Daemon', 'HOOK_EVENTS', 'HookInputError',
  'INTERPRETER_NAME', 'MAX_PAYLOAD_PATH', 'MAX_SESSION_ID_LENGTH', 'NoDaemonError', 'REDACTION_TAP',
  'RedactionConfigError', 'SESSION_ID_PATTERN', 'SHELL_NAMES', 'SqliteUnavailableError', 'StaleDaemonError',
  'UnknownProviderError', 'agentProcessMatcher', 'applyRedaction', 'checkOptionalObject', 'checkParentPid',
  'commandProgram', 'confabVersion', 'createDaemonHooks', 'createRedactor', 'defineConfig', 'defineProvider',
  'editAgentFile', 'executableName', 'findAgentProcess', 'findAncestor', 'getInboxPathForProvider',
  'getProvider', 'getStatePathForProvider', 'getSyncDir', 'githubCommands', 'githubRepoUrl',
  'hasSessionLink', 'hookInstallerOf', 'interpreterScript', 'isBackendError', 'isDaemonRunning',
  'isDirectory', 'isInsideDir', 'isParentRunning', 'isPlainObject', 'isProcessAlive', 'knownProviderNames',
  'lexicalPathProblem', 'linkShellCommand', 'listAllStates', 'loadStateForProvider', 'mayTouchGithub',
  'mergeRedactionOptions', 'newStateForProvider', 'onPath', 'openDatabase', 'payloadError', 'payloadString',
  'prLinkLine', 'procLookup', 'psLookupTable', 'pullRequestUrlIn', 'readAgentFile',
  'redactionOptionsFromUserConfig', 'registerProvider', 'resolveExistingPrefix', 'saveState',
  'sqliteBackend', 'stopDaemon', 'stopDaemonForProvider', 'stripUrlCredentials', 'systemProcessLookup',
  'toolCallFromPayload', 'writeFileAtomic',
  ],
  'confab-cli/provider': [
  'HOOK_EVENTS', 'HookInputError', 'INTERPRETER_NAME', 'MAX_PAYLOAD_PATH', 'MAX_SESSION_ID_LENGTH',
  'SESSION_ID_PATTERN', 'SHELL_NAMES', 'SqliteUnavailableError', 'agentProcessMatcher',
  'checkOptionalObject', 'checkParentPid', 'commandProgram', 'defineProvider', 'editAgentFile',
  'executableName', 'findAgentProcess', 'findAncestor', 'githubCommands', 'githubRepoUrl', 'hasSessionLink',
  'hookInstallerOf', 'interpreterScript', 'isDirectory', 'isInsideDir', 'isPlainObject', 'isProcessAlive',
  'lexicalPathProblem', 'linkShellCommand', 'mayTouchGithub', 'onPath', 'openDatabase', 'payloadError',
  'payloadString', 'prLinkLine', 'procLookup', 'psLookupTable', 'pullRequestUrlIn', 'readAgentFile',
  'resolveExistingPrefix', 'sqliteBackend', 'stripUrlCredentials', 'systemProcessLookup',
  'toolCallFromPayload', 'writeFileAtomic',
  ],
};

describe('the package entry (confab-cli)', () => {
  it('still exports every name it has published', () => {
    expect(Object.keys(confab)).toEqual(expect.arrayContaining(PUBLISHED['confab-cli']));
    expect(Object.keys(providerApi)).toEqual(expect.arrayContaining(PUBLISHED['confab-cli/provider']));
  });

  it('exports the daemon API of the Go CLI', () => {
    for (const name of SEED_EXPORTS) expect(confab[name], name).toBeDefined();
    expect(confab.DEFAULT_SYNC_INTERVAL_MS).toBe(30_000);
    expect(confab.getSyncDir()).toBe(join(home(), '.confab', 'sync'));
  });

  it("exports every value the README's Library API table lists", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Library API');
    const table = readme.slice(start, readme.indexOf('\n### ', start));
    // Every name in the first column (`name(args)` / `other(args)`).
    const firstCells = [...table.matchAll(/^\| (.*?) \|/gm)].map((m) => m[1] as string);
    const listed = [...new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Za-z_]+)/g)].map((m) => m[1] as string)))].filter((n) => n !== 'export');
    expect(listed).toEqual(expect.arrayContaining([...SEED_EXPORTS, 'State', 'DaemonConfig']));
    const types = new Set(['State', 'DaemonConfig']);
    for (const name of listed.filter((n) => !types.has(n))) expect((confab as Record<string, unknown>)[name], name).toBeDefined();
  });

  it('writes a state that loadStateForProvider reads back and listAllStates lists', async () => {
    const state = confab.newStateForProvider('claude-code', 'lib-api-1', '/t/x.jsonl', '/work', 0);
    expect(state).toMatchObject({ provider: 'claude-code', externalId: 'lib-api-1', pid: process.pid, inboxPath: confab.getInboxPathForProvider('claude-code', 'lib-api-1') });
    confab.saveState(state);
    const loaded = await confab.loadStateForProvider('claude-code', 'lib-api-1');
    expect(loaded).toMatchObject({ provider: 'claude-code', externalId: 'lib-api-1', transcriptPath: '/t/x.jsonl', cwd: '/work', pid: process.pid });
    expect(loaded && confab.isDaemonRunning(loaded)).toBe(true);
    expect(loaded && confab.isParentRunning(loaded)).toBe(false);
    expect((await confab.listAllStates()).map((s) => [s.provider, s.externalId])).toEqual([['claude-code', 'lib-api-1']]);
  });

  it('addresses provider "" at the legacy flat path, as the Go CLI does', async () => {
    const sync = confab.getSyncDir();
    expect(confab.getStatePathForProvider('', 'old-1')).toBe(join(sync, 'old-1.json'));
    expect(confab.getInboxPathForProvider('', 'old-1')).toBe(join(sync, 'old-1.inbox.jsonl'));
    const state = confab.newStateForProvider('', 'old-1', '/t/old.jsonl', '/work');
    expect(state.inboxPath).toBe(join(sync, 'old-1.inbox.jsonl'));
    confab.saveState(state);
    expect((await confab.loadStateForProvider('', 'old-1'))?.loadedFrom).toBe(join(sync, 'old-1.json'));
    expect(await confab.loadStateForProvider('', 'missing-1')).toBeUndefined();
    // Listed as Claude Code's (the only provider with the legacy layout).
    expect((await confab.listAllStates()).map((s) => [s.provider, s.externalId])).toEqual([['claude-code', 'old-1']]);
    expect(() => confab.getStatePathForProvider('../x', 'a')).toThrow(/not a safe identifier/);
  });

  it('builds a Daemon from a config alone, which syncs the transcript to the embedded store', async () => {
    const dir = join(home(), 'project');
    mkdirSync(dir, { recursive: true });
    const transcript = join(dir, 'lib-api-daemon.jsonl');
    const lines = ['{"type":"user","message":{"role":"user","content":"hello"}}', '{"type":"assistant","message":{"role":"assistant","content":"hi"}}'];
    writeFileSync(transcript, `${lines.join('\n')}\n`);
    const daemon = new confab.Daemon({ provider: 'claude-code', externalId: 'lib-api-daemon', transcriptPath: transcript, cwd: dir, syncIntervalMs: 50, syncIntervalJitterMs: 0 });
    const running = daemon.run();
    const read = async () => {
      const store = await FileStore.open(join(home(), '.confab', 'store'));
      try {
        const session = (await store.listSessions()).find((s) => s.external_id === 'lib-api-daemon');
        return session ? (await store.readFile(session.session_id, 'lib-api-daemon.jsonl')).toString('utf8') : '';
      } catch {
        return '';
      }
    };
    await waitFor(async () => ((await read()).split('\n').length > lines.length ? true : undefined), { what: 'the transcript in the store', timeoutMs: 30_000 });
    expect(await confab.loadStateForProvider('claude-code', 'lib-api-daemon')).toMatchObject({ pid: process.pid });
    daemon.stop();
    expect((await running).reason).toBe('stop-called');
    expect(await read()).toBe(`${lines.join('\n')}\n`);
    expect(await confab.loadStateForProvider('claude-code', 'lib-api-daemon')).toBeUndefined();
  });
});
