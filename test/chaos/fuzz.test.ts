import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalBackend } from '../../src/backend/local.js';
import { loadProjectConfig } from '../../src/config/project-config.js';
import { resolveSettings } from '../../src/config/settings.js';
import { ConfigError, loadUserConfig } from '../../src/config/user-config.js';
import { listPending } from '../../src/daemon/pending.js';
import { decodeState } from '../../src/format/state.js';
import { runHook, type HookIO } from '../../src/hook/run.js';
import { createFileLogger, createMemoryLogger } from '../../src/log.js';
import { HOOK_EVENTS, type HookEvent } from '../../src/provider/contract.js';
import { applyRedaction, createRedactor } from '../../src/redact/index.js';
import { SyncEngine } from '../../src/sync/engine.js';
import { createSyncHooks } from '../../src/extension/daemon-hooks.js';
import { Sandbox } from '../helpers/sandbox.js';
import { expectedContent } from './helpers/session.js';
import { pick, useChaosTimeouts } from './helpers/world.js';

// Bad input, generated: hook payloads, config files and transcript lines. confab must never
// crash without a clear one-line message, never corrupt a state file, and its hooks must
// always answer valid JSON and exit 0.

useChaosTimeouts();

const seed = process.env.TEST_CHAOS_SEED ? Number(process.env.TEST_CHAOS_SEED) : undefined;
const params = (fast: number, full: number): fc.Parameters<unknown> => ({ numRuns: pick(fast, full), ...(seed === undefined ? {} : { seed }) });

const KEY = `cfb_${'Zq7'.repeat(14)}`;
const VALID_ID = '4f1c2d3e-0000-4000-8000-00000000f00d';

/** Strings that tend to break things: separators, control characters, paths, huge numbers. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '\n', '\u0000', '..', '../../etc/passwd', '/etc/passwd', '~', 'C:\\x', '%00', '\u202e', '💥', 'a'.repeat(5000), KEY, VALID_ID),
);
const anything = fc.oneof(nasty, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));

/** Payloads shaped like the agents' (right keys, any values), plus random JSON and random bytes. */
function payloadArb(validPath?: string): fc.Arbitrary<Buffer> {
  const shaped = fc
    .record(
      {
        session_id: fc.oneof(anything, fc.constant(VALID_ID)),
        transcript_path: fc.oneof(anything, ...(validPath ? [fc.constant(validPath)] : [])),
        cwd: fc.oneof(anything, fc.constant('/work/app')),
        hook_event_name: anything,
        source: anything,
        reason: anything,
        prompt: anything,
        tool_name: anything,
        tool_input: anything,
        tool_response: anything,
        parent_pid: fc.oneof(anything, fc.integer({ min: -5, max: 2 ** 40 })),
        permission_mode: anything,
      },
      { requiredKeys: [] },
    )
    .chain((rec) => fc.dictionary(fc.string(), anything, { maxKeys: 3 }).map((extra) => ({ ...extra, ...rec })))
    .map((o) => Buffer.from(JSON.stringify(o)));
  return fc.oneof(
    { weight: 6, arbitrary: shaped },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: shaped.map((b) => b.subarray(0, Math.floor(b.length / 2))) },
  );
}

const eventArb = fc.constantFrom(...(HOOK_EVENTS as readonly HookEvent[]));
const providerArb = fc.constantFrom('claude-code', 'codex', 'no-such-agent', 'Claude-Code');

function checkAnswer(stdout: string, stderr: string): void {
  const out = stdout.split('\n');
  expect(out, stdout).toHaveLength(2);
  expect(out[1]).toBe('');
  const answer: unknown = JSON.parse(out[0]!);
  expect(typeof answer === 'object' && answer !== null && !Array.isArray(answer)).toBe(true);
  for (const line of stderr.split('\n').filter((l) => l !== '')) {
    expect(line).toMatch(/^confab: \S/);
    expect(line).not.toMatch(/^\s+at /);
  }
  expect(stderr).not.toContain(KEY.slice(4));
}

describe('hook payloads', () => {
  it('in process: whatever the payload, one JSON answer, one-line messages, one-line log entries', async () => {
    await fc.assert(
      fc.asyncProperty(eventArb, providerArb, payloadArb(), async (event, provider, payload) => {
        let stdout = '';
        let stderr = '';
        const io: HookIO = { readInput: () => payload, writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) };
        const log = createMemoryLogger();
        await runHook(event, provider, io, log);
        checkAnswer(stdout, stderr);
        for (const line of log.lines) expect(line).not.toContain('\n');
      }),
      params(300, 3000),
    );
  });

  it('through the CLI: exit 0 and valid JSON, and every state file left is well-formed', async () => {
    const sbx = new Sandbox();
    try {
      const project = join(sbx.claudeDir, 'projects', '-work-app');
      mkdirSync(project, { recursive: true });
      const transcript = join(project, `${VALID_ID}.jsonl`);
      writeFileSync(transcript, '{"type":"user"}\n');
      await fc.assert(
        fc.asyncProperty(eventArb, providerArb, payloadArb(transcript), async (event, provider, payload) => {
          const res = await sbx.run(['hook', event, '--provider', provider], { input: payload });
          expect(res.code, res.stderr).toBe(0);
          checkAnswer(res.stdout, res.stderr);
        }),
        params(12, 120),
      );
      // Whatever ran, what is on disk parses.
      const sync = join(sbx.confabDir, 'sync');
      if (existsSync(sync)) {
        for (const dir of [sync, ...readdirSync(sync, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(sync, d.name))]) {
          for (const f of readdirSync(dir)) {
            expect(f, 'no temp file left behind').not.toMatch(/\.tmp$/);
            if (f.endsWith('.json')) expect(() => decodeState(readFileSync(join(dir, f), 'utf8'), f)).not.toThrow();
          }
        }
      }
      const invalid: string[] = [];
      process.env.HOME = sbx.home;
      try {
        listPending((path) => invalid.push(path));
      } finally {
        process.env.HOME = sbx.home === process.env.HOME ? homeBefore : process.env.HOME;
      }
      expect(invalid).toEqual([]);
    } finally {
      await sbx.cleanup();
    }
  });
});

const homeBefore = process.env.HOME;
const scratch = mkdtempSync(join(tmpdir(), 'confab-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A valid user config with one field replaced by something odd. */
const userConfigArb = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
  fc
    .record(
      {
        backend_url: fc.oneof(anything, fc.constantFrom('http://127.0.0.1:1', 'https://x', 'ftp://x', 'http://u:p@h', 'http://')),
        api_key: fc.oneof(anything, fc.constant(KEY), fc.constant(`${KEY} `)),
        log_level: anything,
        redaction: fc.oneof(anything, fc.record({ enabled: anything, use_default_patterns: anything, patterns: fc.oneof(anything, fc.array(fc.dictionary(fc.constantFrom('name', 'type', 'pattern', 'field_pattern', 'capture_group'), anything))) })),
        bindings: anything,
        sync_interval_ms: anything,
        sync_jitter_ms: anything,
        plugins: fc.oneof(anything, fc.array(nasty, { maxLength: 2 })),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
);

function expectOneLineConfigError(err: unknown): void {
  expect(err).toBeInstanceOf(Error);
  const message = (err as Error).message;
  expect(message, message).not.toMatch(/\n/);
  expect(message).not.toContain(KEY.slice(4));
  expect(message.length).toBeLessThan(2000);
}

describe('config files', () => {
  it('~/.confab/config.json: loads, or fails with one line that never quotes the key', async () => {
    const path = join(scratch, 'config.json');
    await fc.assert(
      fc.asyncProperty(userConfigArb, async (text) => {
        writeFileSync(path, text);
        try {
          loadUserConfig(path);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expectOneLineConfigError(err);
        }
        try {
          await resolveSettings({ userConfigPath: path, env: {}, project: false });
        } catch (err) {
          expectOneLineConfigError(err);
        }
      }),
      params(300, 3000),
    );
  });

  it('project configs (JSON, YAML, package.json): load, or fail with one line', async () => {
    const files = ['.confabrc.json', '.confabrc', 'package.json', 'confab.config.json', '.confabrc.yaml'];
    const contentArb = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
      fc.dictionary(fc.oneof(fc.constantFrom('enabled', 'backend', 'sync', 'redaction', 'plugins', 'apply', 'confab'), fc.string()), anything).map((o) => JSON.stringify(o)),
      fc.dictionary(fc.constantFrom('enabled', 'backend', 'sync', 'redaction', 'plugins', 'a\nb'), anything).map((o) => JSON.stringify({ name: 'x', confab: o })),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('a: [', 'key: value\n  bad: indent', '- 1\n- 2', ': :', '{"enabled": "yes"}', 'enabled: maybe\n'),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...files), contentArb, async (file, text) => {
        const dir = join(scratch, `p${n++}`, 'repo');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, file), text);
        try {
          await loadProjectConfig(dir);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expectOneLineConfigError(err);
        }
      }),
      params(150, 1500),
    );
  });

  it('through the CLI: a hook with any config answers JSON, exits 0, and says what is wrong in one line', async () => {
    const sbx = new Sandbox();
    try {
      const project = join(sbx.claudeDir, 'projects', '-work-app');
      mkdirSync(project, { recursive: true });
      mkdirSync(sbx.confabDir, { recursive: true });
      const repo = sbx.dir('repo');
      await fc.assert(
        fc.asyncProperty(userConfigArb, fc.option(fc.jsonValue().map((v) => JSON.stringify(v) ?? '')), fc.nat(), async (config, projectConfig, n) => {
          writeFileSync(join(sbx.confabDir, 'config.json'), config);
          rmSync(join(repo, '.confabrc.json'), { force: true });
          if (projectConfig !== null) writeFileSync(join(repo, '.confabrc.json'), projectConfig);
          const id = `fuzz-${n}`;
          const payload = JSON.stringify({ session_id: id, transcript_path: join(project, `${id}.jsonl`), cwd: repo, hook_event_name: 'SessionStart', source: 'startup' });
          const res = await sbx.run(['hook', 'session-start'], { input: payload });
          expect(res.code).toBe(0);
          checkAnswer(res.stdout, res.stderr);
        }),
        params(8, 80),
      );
    } finally {
      await sbx.cleanup();
    }
  });
});

describe('transcript lines', () => {
  it('any bytes, written in any pieces: the store holds each complete line once, decoded and redacted as documented', async () => {
    const secretArb = fc.constantFrom('ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8', 'AKIAIOSFODNN7EXAMPLE', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789', '-----BEGIN RSA PRIVATE KEY-----');
    const lineArb = fc.oneof(
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a))) },
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
      { weight: 1, arbitrary: fc.tuple(fc.string(), secretArb).map(([s, k]) => Buffer.from(JSON.stringify({ type: 'user', message: { content: `${s} ${k}` } }))) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary' }).map((s) => Buffer.from(s.replace(/\n/g, ''))) },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), async (lines, cuts, trailingPartial) => {
        const dir = join(scratch, `t${run++}`);
        mkdirSync(dir, { recursive: true });
        const backend = await openLocalBackend(join(dir, 'store'));
        const hooks = createSyncHooks();
        applyRedaction(hooks, createRedactor()!);
        const transcript = join(dir, 'session.jsonl');
        const engine = new SyncEngine({ backend, hooks, session: { provider: 'claude-code', externalId: `fuzz-${run}`, transcriptPath: transcript, cwd: dir } });
        const all = Buffer.concat([...lines.map((l) => Buffer.concat([l, Buffer.from('\n')])), ...(trailingPartial ? [Buffer.from('{"partial":')] : [])]);
        // Written in pieces cut at arbitrary bytes (mid-line, mid-character), syncing between.
        const points = [...new Set(cuts.map((c) => (all.length ? c % all.length : 0)))].sort((a, b) => a - b);
        let at = 0;
        await engine.init();
        for (const p of [...points, all.length]) {
          appendFileSync(transcript, all.subarray(at, p));
          at = p;
          await engine.syncAll('watch');
        }
        await engine.syncAll('final');
        const session = (await backend.getSession(`fuzz-${run}`).catch(() => undefined)) ?? undefined;
        const held = session?.files.length ? await backend.downloadFile(session.session_id, 'session.jsonl') : Buffer.alloc(0);
        await backend.close();
        expect(held.equals(expectedContent(all))).toBe(true);
      }),
      params(40, 400),
    );
  });
});

describe('the log', () => {
  it('one entry is one line, whatever the message', () => {
    const file = join(scratch, 'log', 'fuzz.log');
    const log = createFileLogger(file, { level: 'debug' });
    let entries = 0;
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), nasty, fc.constantFrom('a\nb', 'ok\r\n[2026-01-01 00:00:00] ERROR: forged')), fc.dictionary(fc.string(), fc.oneof(nasty, fc.integer())), (message, fields) => {
        log.warn(message, fields);
        entries++;
      }),
      params(200, 2000),
    );
    const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
    expect(lines).toHaveLength(entries);
    for (const line of lines) expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] WARN: /);
  });
});
