import type { FastifyPluginAsync } from 'fastify';
import { StoreError, type SessionStore } from '../../store/session-store.js';
import { answer, BODY_CAPS, ownerOf, routeConfig } from '../api-reply.js';
import { summaryBody } from '../schemas.js';

/** Session routes addressed by the agent's own id: the summary update and the id lookup. */
export const sessionRoutes: FastifyPluginAsync<{ store: SessionStore }> = async (app, { store }) => {
  app.patch(
    '/api/v1/sessions/:external_id/summary',
    { config: routeConfig({ auth: 'key', bodyCap: BODY_CAPS.small, failure: 'Failed to update summary' }), schema: { body: summaryBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const { external_id } = request.params as { external_id: string };
      await store.updateSummary(owner, external_id, (request.body as { summary: string }).summary);
      return answer(request, reply, 200, { status: 'ok' });
    },
  );

  app.get('/api/v1/sessions/by-external-id/:external_id', { config: routeConfig({ auth: 'key-or-session' }) }, async (request, reply) => {
    const owner = ownerOf(request);
    const { external_id } = request.params as { external_id: string };
    const match = (await store.listSessions(owner)).find((s) => s.external_id === external_id);
    if (!match) throw new StoreError(404, 'Session not found');
    return answer(request, reply, 200, { session_id: match.session_id });
  });
};
