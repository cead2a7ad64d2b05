import { join } from 'node:path';
import { defineProvider, HookInputError, type Provider } from '../../src/provider/contract.js';

/**
 * A minimal provider for core tests: Claude-shaped payloads, and a legacy flat state layout
 * (`<sync>/<id>.json`) like Claude Code's, so core's legacy rules can be tested without the
 * real plugin.
 */
export const testProvider: Provider = defineProvider({
  name: 'test-agent',
  legacyPaths: {
    statePath: (syncDir, id) => join(syncDir, `${id}.json`),
    inboxPath: (syncDir, id) => join(syncDir, `${id}.inbox.jsonl`),
  },
  parseHookInput(_event, payload) {
    if (typeof payload !== 'object' || payload === null) throw new HookInputError('payload must be an object');
    const p = payload as Record<string, unknown>;
    if (typeof p.session_id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(p.session_id)) throw new HookInputError('bad session_id');
    return {
      sessionId: p.session_id,
      transcriptPath: typeof p.transcript_path === 'string' ? p.transcript_path : '',
      cwd: typeof p.cwd === 'string' ? p.cwd : '',
      payload: p,
    };
  },
  hookResponse: () => ({ continue: true }),
});

/** The same, without a legacy layout. */
export const plainTestProvider: Provider = defineProvider({ ...testProvider, name: 'plain-agent', legacyPaths: undefined });
