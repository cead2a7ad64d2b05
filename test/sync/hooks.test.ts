import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Capabilities, ChunkRequest, InitRequest } from '../../src/format/wire.js';
import type { ChunkContext, SyncErrorContext } from '../../src/extension/hook-types.js';
import { harness, jsonLines } from '../helpers/engine-harness.js';

describe('SyncEngine hooks', () => {
  it('what a line tap returns is what the backend holds; chunk taps see the raw lines', async () => {
    const h = harness();
    const seen: Array<{ fileName: string; lineNumber: number }> = [];
    h.hooks.line.tap('redact', (line, ctx) => {
      seen.push({ fileName: ctx.fileName, lineNumber: ctx.lineNumber });
      return line.replace(/sk-[a-z0-9]+/g, '[REDACTED]');
    });
    const raw: string[][] = [];
    h.hooks.chunk.tap('spy', (req, ctx) => {
      raw.push([...ctx.rawLines]);
      return req;
    });
    h.write('{"k":"sk-abc123"}\n{"k":"plain"}\n');
    await h.engine.syncAll('startup');
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"k":"[REDACTED]"}', '{"k":"plain"}']);
    expect(raw).toEqual([['{"k":"sk-abc123"}', '{"k":"plain"}']]);
    expect(seen).toEqual([
      { fileName: h.name, lineNumber: 1 },
      { fileName: h.name, lineNumber: 2 },
    ]);
  });

  it('a line tap that introduces a newline cannot split a line on the backend', async () => {
    const h = harness();
    h.hooks.line.tap('pretty', (line) => line.replace(',', ',\n'));
    h.write('{"a":1,"b":2}\n');
    await h.engine.syncAll('startup');
    expect(h.backend.fileLines(undefined, h.name)).toEqual(['{"a":1,\\n"b":2}']);
    expect(h.backend.violations).toEqual([]);
  });

  it('chunk tap metadata is sent exactly as given; only its metadata is used', async () => {
    const h = harness();
    h.write(jsonLines(3));
    await h.engine.syncAll('startup');
    expect(h.backend.chunkRequests()[0]).not.toHaveProperty('metadata');

    h.hooks.chunk.tap('annotate', (req: ChunkRequest) => ({
      ...req,
      first_line: 999,
      lines: ['tampered'],
      metadata: { summary: 'A summary', first_user_message: 'hello', git_info: { branch: 'main', is_dirty: false } },
    }));
    h.append(jsonLines(2, 4));
    await h.engine.syncAll('watch');
    const sent = h.backend.chunkRequests()[1] as ChunkRequest;
    expect(sent.first_line).toBe(4);
    expect(sent.lines).toHaveLength(2);
    expect(sent.metadata).toEqual({ summary: 'A summary', first_user_message: 'hello', git_info: { branch: 'main', is_dirty: false } });
    h.expectSynced();
  });

  it('metadata strings pass the metadata hook; git_info: null is never sent', async () => {
    const h = harness();
    const fields: string[] = [];
    h.hooks.metadata.tap('redact', (value, ctx) => {
      fields.push(ctx.field);
      return value.replace('hunter2', '[REDACTED]');
    });
    h.hooks.chunk.tap('annotate', (req) => ({
      ...req,
      metadata: { summary: 'password hunter2', first_user_message: 'my hunter2', git_info: null as never, model: 'm' },
    }));
    h.write(jsonLines(1));
    await h.engine.syncAll('startup');
    expect(h.backend.chunkRequests()[0]?.metadata).toEqual({ summary: 'password [REDACTED]', first_user_message: 'my [REDACTED]', model: 'm' });
    expect(fields).toEqual(['summary', 'first_user_message']);
    expect(h.backend.violations).toEqual([]);
  });

  it('redactMetadata and linkSummary work for chunk taps; a failed link never throws', async () => {
    const h = harness();
    h.hooks.metadata.tap('redact', (value) => value.replace('hunter2', '[REDACTED]'));
    h.hooks.chunk.tapPromise('link', async (req, ctx: ChunkContext) => {
      expect(ctx.redactMetadata('x hunter2', 'summary')).toBe('x [REDACTED]');
      expect(ctx.file).toEqual({ path: h.path, name: h.name, type: 'transcript' });
      await ctx.linkSummary('earlier-session', 'about hunter2');
      await ctx.linkSummary('no-such-session', 'whatever');
      return req;
    });
    // The earlier session must exist on the backend for the link to land.
    await h.backend.init({ provider: 'claude-code', external_id: 'earlier-session', transcript_path: '/x/earlier.jsonl' });
    h.write(jsonLines(1));
    const report = await h.engine.syncAll('startup');
    expect(report.complete).toBe(true);
    expect(h.backend.summaries).toEqual([{ externalId: 'earlier-session', summary: 'about [REDACTED]' }]);
    expect(h.log.lines.some((l) => l.includes('could not link a summary'))).toBe(true);
  });

  it('init requests carry core metadata, tap additions, and on refresh the real cwd again', async () => {
    const h = harness();
    const contexts: boolean[] = [];
    h.hooks.initRequest.tap('git', (req: InitRequest, ctx) => {
      contexts.push(ctx.refresh);
      return ctx.refresh
        ? { ...req, metadata: { ...req.metadata, cwd: '', git_info: null as never } }
        : { ...req, provider: 'evil', metadata: { ...req.metadata, git_info: { branch: 'feat', is_dirty: true } } };
    });
    h.write(jsonLines(4));
    await h.engine.init();
    const first = h.backend.log.find((e) => e.op === 'init')?.req as InitRequest;
    expect(first).toMatchObject({
      provider: 'claude-code',
      external_id: h.session.externalId,
      transcript_path: h.path,
      metadata: { cwd: h.dir, hostname: hostname(), git_info: { branch: 'feat', is_dirty: true } },
    });
    expect(typeof first.metadata?.username).toBe('string');

    h.backend.inject({ op: 'chunk', kind: 'lost-after' });
    const recovered: Array<[string, SyncErrorContext]> = [];
    h.hooks.syncError.tap('t', (e, ctx) => void recovered.push([e.message, ctx]));
    // Recovered within the cycle: reported through syncError, not thrown.
    await expect(h.engine.syncAll('watch')).resolves.toMatchObject({ complete: true });
    expect(recovered).toEqual([['network error: ECONNRESET', { phase: 'chunk', trigger: 'watch', fileName: h.name }]]);
    const refresh = h.backend.log.filter((e) => e.op === 'init')[1]?.req as InitRequest;
    expect(contexts).toEqual([false, true]);
    expect(refresh.metadata?.cwd).toBe(h.dir);
    expect(refresh.metadata).not.toHaveProperty('git_info');
    expect(h.backend.violations).toEqual([]);
    h.expectSynced();
  });

  it('a file discovered mid-cycle is uploaded in the same cycle', async () => {
    const h = harness();
    const agent = join(h.dir, 'agent-a1.jsonl');
    const rounds: number[] = [];
    // Content-driven discovery, as a provider does it: the transcript names the sub-agent.
    h.hooks.discoverFiles.tap('agents', (files, ctx) => {
      rounds.push(ctx.round);
      const out = [...files];
      const text = readFileSync(h.path, 'utf8');
      if (ctx.round > 0 && text.includes('agent-a1') && !ctx.tracked.has('agent-a1.jsonl')) {
        out.push({ path: agent, name: 'agent-a1.jsonl', type: 'agent' });
      }
      return out;
    });
    h.write(jsonLines(2));
    await h.engine.syncAll('startup');
    writeFileSync(agent, jsonLines(6));
    h.append('{"toolUseResult":{"agentId":"a1","file":"agent-a1"}}\n');
    const report = await h.engine.syncAll('watch');
    expect(report.complete).toBe(true);
    expect(report.files.map((f) => [f.name, f.lines])).toEqual([
      [h.name, 1],
      ['agent-a1.jsonl', 6],
    ]);
    h.expectSynced(agent);
    expect(h.backend.chunkRequests('agent-a1.jsonl')[0]?.file_type).toBe('agent');
    expect(rounds).toEqual([0, 1, 0, 1, 2]);
  });

  it('backend-known files keep their numbers until a provider resolves their path again', async () => {
    const h = harness();
    const agent = join(h.dir, 'sub', 'agent-b.jsonl');
    // A previous daemon uploaded 5 lines of the agent file.
    const prior = await h.backend.init({ provider: 'claude-code', external_id: h.session.externalId, transcript_path: h.path });
    await h.backend.chunk({ session_id: prior.session_id, file_name: 'agent-b.jsonl', file_type: 'agent', first_line: 1, lines: jsonLines(5).trim().split('\n') });
    let resolve = false;
    h.hooks.discoverFiles.tap('agents', (files) => (resolve ? [...files, { path: agent, name: 'agent-b.jsonl', type: 'agent' }] : files));
    h.write(jsonLines(1));
    await h.engine.syncAll('startup');
    expect(h.engine.trackedFiles().map((f) => f.name)).toEqual([h.name]);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(h.dir, 'sub'));
    writeFileSync(agent, jsonLines(7));
    resolve = true;
    await h.engine.syncAll('watch');
    const sent = h.backend.chunkRequests('agent-b.jsonl');
    expect(sent.at(-1)).toMatchObject({ first_line: 6, lines: jsonLines(2, 6).trim().split('\n') });
    h.expectSynced(agent);
  });

  it('discovery failures are reported and the cycle goes on with the files known', async () => {
    const h = harness();
    const errors: SyncErrorContext[] = [];
    h.hooks.syncError.tap('t', (_e, ctx) => void errors.push(ctx));
    h.hooks.discoverFiles.tap('boom', () => {
      throw new Error('scan failed');
    });
    h.write(jsonLines(2));
    const report = await h.engine.syncAll('startup');
    expect(report.complete).toBe(true);
    // Round 0, and round 1 after the uploads.
    expect(errors).toEqual([
      { phase: 'discover', trigger: 'startup' },
      { phase: 'discover', trigger: 'startup' },
    ]);
    h.expectSynced();
  });

  it('capabilities are probed lazily, cached only when definitive, at most once per cycle', async () => {
    const h = harness();
    let result: Capabilities | string | undefined;
    h.hooks.discoverFiles.tapPromise('caps', async (files, ctx) => {
      try {
        result = await ctx.capabilities();
        await ctx.capabilities();
      } catch (err) {
        result = (err as Error).message;
        await ctx.capabilities().catch(() => undefined);
      }
      return files;
    });
    h.write(jsonLines(1));
    h.backend.capabilitiesAnswer = 'error';
    await h.engine.syncAll('startup');
    expect(result).toContain('503');
    // Rounds 0 and 1 both asked: one probe for the whole cycle while it fails.
    expect(h.backend.stats.capabilities).toBe(1);

    h.backend.capabilitiesAnswer = 'not-found';
    await h.engine.syncAll('watch');
    expect(result).toEqual({ workflow_files: false, workflow_journal: false, opencode_subagents: false });
    expect(h.backend.stats.capabilities).toBe(2);

    h.backend.capabilitiesAnswer = { workflow_files: true, workflow_journal: true, opencode_subagents: true };
    await h.engine.syncAll('watch');
    await h.engine.syncAll('watch');
    expect(result).toEqual({ workflow_files: false, workflow_journal: false, opencode_subagents: false });
    expect(h.backend.stats.capabilities).toBe(2);
  });

  it('ignores malformed specs from discovery taps', async () => {
    const h = harness();
    h.hooks.discoverFiles.tap('bad', (files) => [...files, { path: 'relative.jsonl', name: 'x', type: 'agent' }, { name: 'y' } as never, 42 as never]);
    h.write(jsonLines(1));
    const report = await h.engine.syncAll('startup');
    expect(report.complete).toBe(true);
    expect(h.engine.trackedFiles()).toHaveLength(1);
    expect(h.log.lines.filter((l) => l.includes('ignoring a discovered file'))).toHaveLength(6);
  });
});
