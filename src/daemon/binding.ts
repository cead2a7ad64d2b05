import type { BindingTarget, Settings } from '../config/settings.js';
import { canonicalConfigDir } from '../config/user-config.js';
import type { Provider } from '../provider/contract.js';
import type { LaunchInput } from './launch.js';

/**
 * The agent config dir whose backend binding a session uses: the launch's `config_dir` (set
 * by the Go CLI's hooks), else the one its transcript path tells. Undefined (the top-level
 * backend) when the agent has no bindings, the dir is unknown, or it is the default one.
 * The daemon and the hooks that talk to its backend (GitHub links) both decide with this.
 */
export function bindingTarget(
  launch: Partial<Pick<LaunchInput, 'config_dir' | 'transcript_path'>>,
  provider: Provider,
  settings: Settings,
): BindingTarget | undefined {
  const dirs = provider.configDirs;
  if (!dirs || Object.keys(settings.user.bindings?.[provider.name] ?? {}).length === 0) return undefined;
  const configDir = launch.config_dir || (launch.transcript_path ? dirs.ofTranscript(launch.transcript_path) : undefined);
  if (!configDir) return undefined;
  const target = { provider: provider.name, configDir, defaultConfigDir: dirs.default() };
  return canonicalConfigDir(configDir) === canonicalConfigDir(target.defaultConfigDir) ? undefined : target;
}
