import type { FastifyPluginAsync } from 'fastify';
import type { SessionStore } from '../../store/session-store.js';
import { PROVIDERS_KNOWN_TO_CONFAB_WEB } from '../../format/wire.js';
import { validateEvent, validateInit } from '../../store/validate.js';
import { answer, BODY_CAPS, ownerOf, routeConfig, type ViolationSink } from '../api-reply.js';
import { chunkBody, eventBody, initBody } from '../schemas.js';

/**
 * The upload routes (init, chunk, event): zstd bodies, the shared per-user upload limit, and
 * the client misbehaviour they can see (rules 14, 21, 26).
 */
export interface SyncRoutesOptions {
  store: SessionStore;
  violation: ViolationSink;
}

const SYNC = { auth: 'key', zstd: true, limiter: 'upload' } as const;

export const syncRoutes: FastifyPluginAsync<SyncRoutesOptions> = async (app, { store, violation }) => {
  /** Unanswered chunks per session and per (session, file). */
  const inFlight = new Map<string, number>();

  app.post(
    '/api/v1/sync/init',
    { config: routeConfig({ ...SYNC, bodyCap: BODY_CAPS.small, failure: 'Failed to initialize sync session' }), schema: { body: initBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const body = request.body as Record<string, unknown>;
      validateInit(body, { providers: PROVIDERS_KNOWN_TO_CONFAB_WEB });
      const meta = body.metadata as Record<string, unknown> | null | undefined;
      if ((meta && meta.git_info === null) || body.git_info === null) violation(14, 'init sent "git_info": null (it would overwrite the stored git_info on confab-web)', owner);
      if (meta?.cwd === '' || body.cwd === '') violation(14, 'init sent an empty cwd (it would blank the stored cwd on confab-web)', owner);
      const res = await store.init(owner, body as never);
      return answer(request, reply, 200, res);
    },
  );

  app.post(
    '/api/v1/sync/chunk',
    { config: routeConfig({ ...SYNC, bodyCap: BODY_CAPS.chunk, failure: 'Failed to upload chunk' }), schema: { body: chunkBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const body = request.body as { session_id?: string | null; file_name?: string | null };
      const sessionKey = String(body.session_id ?? '').toLowerCase();
      const fileKey = `${sessionKey}\0${body.file_name ?? ''}`;
      if (inFlight.get(fileKey)) violation(21, `a second upload to ${body.file_name} started before the first was answered (serialized)`, owner);
      inFlight.set(fileKey, (inFlight.get(fileKey) ?? 0) + 1);
      inFlight.set(sessionKey, (inFlight.get(sessionKey) ?? 0) + 1);
      try {
        await request.confab?.beforeStore?.();
        const res = await store.appendChunk(owner, body as never);
        return await answer(request, reply, 200, res);
      } finally {
        for (const k of [fileKey, sessionKey]) {
          const n = (inFlight.get(k) ?? 1) - 1;
          if (n <= 0) inFlight.delete(k);
          else inFlight.set(k, n);
        }
      }
    },
  );

  app.post(
    '/api/v1/sync/event',
    { config: routeConfig({ ...SYNC, bodyCap: BODY_CAPS.small, badBody: 'Invalid JSON body', failure: 'Failed to record event' }), schema: { body: eventBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const v = validateEvent(request.body);
      if (inFlight.get(v.session_id.toLowerCase())) violation(26, 'session_end was sent while a chunk of the session was still unanswered', owner);
      await store.recordEvent(owner, request.body as never);
      return answer(request, reply, 200, { success: true });
    },
  );
};
