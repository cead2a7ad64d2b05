import type { FastifyPluginAsync } from 'fastify';
import type { SessionStore } from '../../store/session-store.js';
import { answer, BODY_CAPS, ownerOf, routeConfig } from '../api-reply.js';
import { githubLinkBody } from '../schemas.js';

/** `POST /sessions/:id/github-links`: upsert a pull request or commit link of a session. */
export const githubLinkRoutes: FastifyPluginAsync<{ store: SessionStore }> = async (app, { store }) => {
  app.post(
    '/api/v1/sessions/:id/github-links',
    { config: routeConfig({ auth: 'key-or-session', bodyCap: BODY_CAPS.small, failure: 'Failed to create GitHub link' }), schema: { body: githubLinkBody } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const { id } = request.params as { id: string };
      const link = await store.recordGithubLink(owner, id, request.body as never);
      return answer(request, reply, 201, link);
    },
  );
};
