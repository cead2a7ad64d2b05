import type { FastifyPluginAsync } from 'fastify';
import { answer, routeConfig } from '../api-reply.js';

/** The routes a client calls before it syncs: health, version, capabilities and key validation. */
export interface ServiceRoutesOptions {
  version: string;
  /** `/api/v1/capabilities` body (rule 30); false = the route is absent (404). */
  capabilities: Record<string, boolean> | false;
}

export const serviceRoutes: FastifyPluginAsync<ServiceRoutesOptions> = async (app, opts) => {
  const { capabilities } = opts;
  app.get('/health', { config: routeConfig({ auth: 'none' }) }, (request, reply) => answer(request, reply, 200, { status: 'ok' }));
  app.get('/api/v1/version', { config: routeConfig({ auth: 'none' }) }, (request, reply) =>
    answer(request, reply, 200, { version: opts.version, node_version: process.versions.node }),
  );
  if (capabilities !== false) {
    app.get('/api/v1/capabilities', { config: routeConfig({ auth: 'none' }) }, (request, reply) => answer(request, reply, 200, capabilities));
  }
  app.get('/api/v1/auth/validate', { config: routeConfig({ auth: 'key', limiter: 'validate' }) }, (request, reply) => {
    const key = request.confab!.key!;
    return answer(request, reply, 200, {
      valid: true,
      user_id: key.user_id,
      email: key.owner.includes('@') ? key.owner : `${key.owner}@localhost`,
      name: key.owner,
    });
  });
};
