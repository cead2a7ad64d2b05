import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { escapeLineBreaks, scrubSecrets } from '../log.js';

/**
 * `confab serve`'s log, through Fastify's own logger (pino, one JSON object per line): one
 * line per request (method, path, status, time, client address, API user) and one per
 * failure, with the error. Never a header, a cookie, a body or a query string — those carry
 * keys, login tokens, transcripts and search terms — and error texts are scrubbed of keys.
 */

/** Where the lines go: anything with `write(line)` (a file appender, process.stderr). */
export interface LogDestination {
  write(line: string): unknown;
}

const pathOf = (url: string | undefined): string => (url ?? '').split('?')[0] ?? '';
const scrub = (text: string | undefined): string | undefined => (text === undefined ? undefined : escapeLineBreaks(scrubSecrets(text)));

/** Fastify `logger` options writing to `destination`. */
export function serveLoggerOptions(destination: LogDestination): NonNullable<FastifyServerOptions['logger']> {
  return {
    level: 'info',
    stream: destination,
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    serializers: {
      // Fastify's defaults would add the query string; headers are never serialized.
      req: (req: { method?: string; url?: string }) => ({ method: req.method, path: pathOf(req.url) }),
      res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      err: (err: Error & { code?: unknown; statusCode?: unknown }) => ({
        type: err?.name,
        message: scrub(err?.message),
        ...(typeof err?.code === 'string' ? { code: err.code } : {}),
        stack: scrub(err?.stack),
      }),
    },
  } as NonNullable<FastifyServerOptions['logger']>;
}

/** One line per answered request on `app` (and every scope registered on it later). */
export function logRequests(app: FastifyInstance, user: (request: FastifyRequest) => string | undefined): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        path: pathOf(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ip: request.ip,
        user: user(request),
      },
      'request',
    );
  });
}
