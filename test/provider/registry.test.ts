import { describe, expect, it } from 'vitest';
import { assertProvider, getProvider, knownProviderNames, registerProvider, unregisterProvider, UnknownProviderError } from '../../src/provider/registry.js';
import { HookInputError } from '../../src/provider/contract.js';

describe('provider registry', () => {
  it('loads the built-in Claude Code provider by name', async () => {
    const p = await getProvider('claude-code');
    expect(p.name).toBe('claude-code');
    expect(p.hookResponse('session-start', {})).toEqual({ continue: true, stopReason: '', suppressOutput: false });
  });

  it('names the known providers when one is unknown', async () => {
    await expect(getProvider('nope')).rejects.toThrow(UnknownProviderError);
    await expect(getProvider('nope')).rejects.toThrow(/known: claude-code/);
    await expect(getProvider('')).rejects.toThrow(/no provider given/);
  });

  it('registers providers at runtime and validates their shape', async () => {
    registerProvider({
      name: 'test-agent',
      parseHookInput: () => {
        throw new HookInputError('never');
      },
      hookResponse: () => ({}),
    });
    try {
      expect(knownProviderNames()).toContain('test-agent');
      expect((await getProvider('test-agent')).name).toBe('test-agent');
    } finally {
      unregisterProvider('test-agent');
    }
    expect(() => assertProvider({ name: 'Bad Name' }, 'x')).toThrow(/lowercase identifier/);
    expect(() => assertProvider({ name: 'ok' }, 'x')).toThrow(/parseHookInput and hookResponse/);
    expect(() => assertProvider(null, 'mod')).toThrow(/does not export a provider/);
  });
});
