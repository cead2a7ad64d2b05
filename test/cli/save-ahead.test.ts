// `confab save`'s one-shot upload as the package runs it (dist/, the default wiring): a large
// backlog is redacted on a second thread, and what is stored is what redaction on one makes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fakeSecrets } from '../../bench/lib/fake-secrets.mjs';
import { generateTranscript } from '../../bench/lib/transcript.mjs';
import type * as LocalMod from '../../src/backend/local.js';
import type * as OneShotMod from '../../src/compose/one-shot.js';
import type * as WiringMod from '../../src/compose/wiring.js';
import type * as SettingsMod from '../../src/config/settings.js';
import type * as LogMod from '../../src/log.js';
import type * as RegistryMod from '../../src/provider/registry.js';
import type * as RedactMod from '../../src/redact/index.js';
import type * as EngineMod from '../../src/sync/engine.js';
import { useTempHome } from '../helpers/sandbox.js';

const home = useTempHome();

/** A module of the build (dist/ is built before the tests run; typechecking comes before that). */
const built = async <T>(path: string): Promise<T> => (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;

it('a backlog past PREFETCH_MIN_BYTES is stored exactly as redaction on one thread makes it', async () => {
  const { openLocalBackend } = await built<typeof LocalMod>('backend/local.js');
  const { syncSessionOnce } = await built<typeof OneShotMod>('compose/one-shot.js');
  const { defaultDaemonWiring } = await built<typeof WiringMod>('compose/wiring.js');
  const { resolveSettings } = await built<typeof SettingsMod>('config/settings.js');
  const { createMemoryLogger } = await built<typeof LogMod>('log.js');
  const { getProvider } = await built<typeof RegistryMod>('provider/registry.js');
  const { createRedactor } = await built<typeof RedactMod>('redact/index.js');
  const { PREFETCH_MIN_BYTES } = await built<typeof EngineMod>('sync/engine.js');
  const cwd = join(home(), 'project');
  const dir = join(home(), '.claude', 'projects', '-project');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(dir, { recursive: true });
  const lines = generateTranscript({ bytes: PREFETCH_MIN_BYTES + 2 * 1024 * 1024, fakes: fakeSecrets(6, 1), secretEvery: 40 });
  const externalId = '6a1f3c2e-0d4b-4e8a-9c7f-5b2e1d0a9f31';
  const transcriptPath = join(dir, `${externalId}.jsonl`);
  writeFileSync(transcriptPath, `${lines.join('\n')}\n`);

  const settings = await resolveSettings({ cwd });
  const backend = await openLocalBackend(join(home(), 'store'));
  const log = createMemoryLogger();
  try {
    const result = await syncSessionOnce({
      provider: await getProvider('claude-code'),
      session: { provider: 'claude-code', externalId, transcriptPath, cwd },
      backend,
      settings,
      wiring: defaultDaemonWiring(),
      log,
    });
    expect(result).toMatchObject({ complete: true, lines: lines.length });
    const redactor = createRedactor(settings.redaction)!;
    const expected = lines.map((l) => redactor.redactLine(l));
    expect(expected.filter((l, i) => l !== lines[i]).length).toBeGreaterThan(50);
    const stored = (await backend.downloadFile(result.sessionId, `${externalId}.jsonl`)).toString('utf8').split('\n');
    expect(stored.pop()).toBe('');
    expect(stored).toHaveLength(expected.length);
    // Counted, not diffed: a failure would otherwise print megabytes of transcript.
    expect(stored.filter((l, i) => l !== expected[i]).length).toBe(0);
    // Every line's redaction came from the worker (one core alone would not start it).
    const done = log.lines.find((l) => l.includes('redaction on a second thread'));
    if (availableParallelism() > 1) expect(done).toContain(`lines=${lines.length}`);
    else expect(done).toBeUndefined();
  } finally {
    await backend.close();
  }
});
