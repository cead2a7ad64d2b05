import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChunkRequest } from '../format/wire.js';
import type { SessionStore } from '../store/session-store.js';
import { HttpFailure, RATE_LIMITED, routeApi, sendJson, sendText, type SendAnswer } from './api-reply.js';
import type { Fault, FaultInjector } from './faults.js';

/**
 * Test-only failures (faults.ts) applied around the route handlers, which know nothing of
 * them: installed on the server only when an injector is given. A fault is drawn once per API
 * request after auth and body decoding; failures before the store answer at once, the others
 * ride on the request (`beforeStore`, `afterStore`) to the moment they stand for.
 */

export interface FaultInjectionOptions {
  faults: FaultInjector;
  store: SessionStore;
  /** Told when a chunk re-sends an orphaned line with different content (rule 24). */
  violation: (rule: number, message: string, owner: string | undefined) => void;
}

const CHUNK_ROUTE = '/api/v1/sync/chunk';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function installFaultInjection(app: FastifyInstance, opts: FaultInjectionOptions): void {
  const { faults, store, violation } = opts;
  /** Lines of chunks answered with a lost-update fault, per (session, file): line number → content. */
  const orphans = new Map<string, Map<number, string>>();

  /** confab-web's "storage written, commit failed": everything checked as for a store, the lines kept as orphans. */
  async function orphanChunk(owner: string, body: ChunkRequest): Promise<never> {
    const sessionId = await store.checkChunk(owner, body);
    const key = `${sessionId}\0${body.file_name}`;
    const lines = orphans.get(key) ?? new Map<number, string>();
    body.lines.forEach((line, i) => lines.set(body.first_line + i, line));
    orphans.set(key, lines);
    throw new HttpFailure(500, 'Failed to update sync state', 'json');
  }

  function checkOrphans(owner: string | undefined, body: { session_id?: unknown; file_name?: unknown; first_line?: unknown; lines?: unknown }): void {
    const fileKey = `${String(body.session_id ?? '').toLowerCase()}\0${String(body.file_name ?? '')}`;
    const lines = orphans.get(fileKey);
    if (!lines || typeof body.first_line !== 'number' || !Array.isArray(body.lines)) return;
    const first = body.first_line;
    (body.lines as string[]).forEach((line, i) => {
      const orphan = lines.get(first + i);
      if (orphan !== undefined && orphan !== line) violation(24, `line ${first + i} was re-sent with different content`, owner);
      lines.delete(first + i);
    });
    if (lines.size === 0) orphans.delete(fileKey);
  }

  /** The answer of a request the store has taken, as the fault has it lost, failed or late. */
  async function afterStore(request: FastifyRequest, reply: FastifyReply, fault: Fault | undefined, send: SendAnswer): Promise<FastifyReply> {
    if (request.routeOptions.url === CHUNK_ROUTE) checkOrphans(request.confab?.key?.owner, request.body as Record<string, unknown>);
    if (fault?.type === 'drop-after-store') {
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    }
    if (fault?.type === 'error-after-store') return sendJson(reply, 500, { error: routeApi(request)?.failure ?? 'Internal server error' });
    if (fault?.type === 'delay') await sleep(fault.ms);
    return send();
  }

  app.addHook('preHandler', async (request, reply) => {
    const api = routeApi(request);
    const state = request.confab;
    if (!api || !state) return;
    const fault = faults.faultFor({
      method: request.method,
      route: request.routeOptions.url ?? request.url,
      url: request.url,
      owner: state.key?.owner,
      body: request.body,
    });
    if (fault?.type === 'rate-limit') {
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return sendText(reply, 429, RATE_LIMITED, headers);
    }
    if (fault?.type === 'error-before-store') return sendJson(reply, 500, { error: api.failure });
    if (fault?.type === 'storage-unavailable') return sendJson(reply, 503, { error: 'Storage temporarily unavailable' });
    if (fault?.type === 'lost-update') {
      const owner = state.key?.owner;
      if (owner !== undefined) state.beforeStore = () => orphanChunk(owner, request.body as ChunkRequest);
    }
    state.afterStore = (send) => afterStore(request, reply, fault, send);
  });
}
