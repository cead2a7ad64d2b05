import type { ValidatedKey } from '../backend/auth.js';
import { CommandError } from './command-error.js';
import { loadUserConfig, saveUserConfig } from '../config/user-config.js';
import { storeDir, userConfigPath } from '../paths.js';
import { hookInstallerOf, type Provider } from '../provider/contract.js';
import { FileStore } from '../store/file-store.js';
import { confabExecutable } from './executable.js';
import { errorLine } from './format.js';
import { login, normalizeBackendUrl, type LoginMethod } from './login.js';

export type SetupBackend =
  | { kind: 'local'; storeDir: string; switchedFrom?: string }
  | { kind: 'http'; url: string; method: LoginMethod; user: ValidatedKey };

export interface SetupHooks {
  provider: string;
  displayName: string;
  path: string;
  changed: boolean;
  error?: string;
}

export interface SetupResult {
  backend: SetupBackend;
  configPath: string;
  /** The command the agents' hooks run. */
  command: string;
  hooks: SetupHooks[];
  /** Something outside the config overrides the backend chosen here. */
  warnings: string[];
}

export interface SetupOptions {
  /** A server URL, `local` for the embedded store, or undefined (keep what is configured, else local). */
  backendUrl?: string;
  apiKey?: string;
  /** The agents to hook (explicit --provider, or every detected one). */
  providers: readonly Provider[];
  configDir?: string;
  say?(line: string): void;
  openBrowser?: boolean;
  env?: NodeJS.ProcessEnv;
}

async function setupLocalStore(switchedFrom?: string): Promise<SetupBackend> {
  if (switchedFrom) {
    const cfg = loadUserConfig();
    cfg.backend_url = '';
    cfg.api_key = '';
    saveUserConfig(cfg);
  }
  const dir = storeDir();
  try {
    // Creates the store (0700) now, so the first session has nothing to set up.
    await (await FileStore.open(dir)).close();
  } catch (err) {
    throw new CommandError(`cannot create the local store in ${dir}: ${errorLine(err)}`);
  }
  return { kind: 'local', storeDir: dir, ...(switchedFrom ? { switchedFrom } : {}) };
}

/**
 * `confab setup`: choose where sessions go (the embedded store, or a server after logging in)
 * and install the hooks of the agents given. Hook failures are reported per agent.
 */
export async function setup(opts: SetupOptions): Promise<SetupResult> {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  const configured = loadUserConfig().backend_url;
  const wanted = opts.backendUrl?.trim();
  if (opts.apiKey !== undefined && (wanted === undefined || wanted === 'local') && !configured) {
    throw new CommandError('--api-key needs --backend-url (the server it is a key for)');
  }

  let backend: SetupBackend;
  if (wanted === 'local' || (wanted === undefined && !configured)) {
    backend = await setupLocalStore(wanted === 'local' && configured ? configured : undefined);
  } else {
    const url = normalizeBackendUrl(wanted ?? configured);
    const res = await login({
      backendUrl: url,
      ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
      reuseStoredKey: true,
      ...(opts.say ? { say: opts.say } : {}),
      ...(opts.openBrowser !== undefined ? { openBrowser: opts.openBrowser } : {}),
    });
    backend = { kind: 'http', url: res.backendUrl, method: res.method, user: res.user };
  }
  const envUrl = env.CONFAB_BACKEND_URL?.trim();
  if (envUrl) warnings.push(`CONFAB_BACKEND_URL=${envUrl} is set in this environment and overrides this choice for processes that inherit it`);

  const command = confabExecutable(env);
  const hooks: SetupHooks[] = [];
  for (const p of opts.providers) {
    const displayName = p.displayName ?? p.name;
    const installer = hookInstallerOf(p);
    if (!installer) {
      hooks.push({ provider: p.name, displayName, path: '', changed: false, error: 'this agent has no hooks confab can install' });
      continue;
    }
    try {
      const res = await installer.install({ command, ...(opts.configDir ? { configDir: opts.configDir } : {}) });
      hooks.push({ provider: p.name, displayName, path: res.path, changed: res.changed });
    } catch (err) {
      hooks.push({ provider: p.name, displayName, path: '', changed: false, error: errorLine(err) });
    }
  }
  return { backend, configPath: userConfigPath(), command, hooks, warnings };
}
