import type { Provider } from '../provider/contract.js';
import { getProvider, knownProviderNames } from '../provider/registry.js';

/** The providers a command acts on: the one named by --provider, or every known one. */
export async function selectProviders(name: string | undefined): Promise<Provider[]> {
  if (name) return [await getProvider(name.trim().toLowerCase())];
  return Promise.all(knownProviderNames().map((n) => getProvider(n)));
}

/** Known providers whose agent is installed on this machine. */
export async function detectedProviders(): Promise<Provider[]> {
  const all = await selectProviders(undefined);
  const found: Provider[] = [];
  for (const p of all) if (await p.detect?.().catch(() => false)) found.push(p);
  return found;
}
