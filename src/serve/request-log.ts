import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
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

/** The path without its query, and without a shared link's token (a credential: `/s/<token>` is logged as `/s/…`). */
const pathOf = (url: string | undefined): string => ((url ?? '').split('?')[0] ?? '').replace(/^\/s\/[^/]*/, '/s/…');
const scrub = (text: string | undefined): string | undefined => (text === undefined ? undefined : escapeLineBreaks(scrubSecrets(text)));

/**
 * Fastify's own request lines ("incoming request", "request completed") carry the URL with
 * its query string: replaced by one line per answered request with only what is safe.
 */
class ServeLogController extends LogController {
  constructor(private readonly user: (request: FastifyRequest) => string | undefined) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      path: pathOf(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      ip: request.ip,
      user: this.user(request),
    };
    if (error) request.log.error({ ...line, err: error }, 'request');
    else request.log.info(line, 'request');
  }
}

/**
 * Fastify options logging to `destination`; `user` names the API user of a request (for
 * its line), if any.
 */
export function serveLogging(destination: LogDestination, user: (request: FastifyRequest) => string | undefined): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  return {
    logger: {
      level: 'info',
      stream: destination,
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      serializers: {
        // Fastify's defaults would add the query string; headers are never serialized.
        req: (req: { method?: string; url?: string }) => ({ method: req.method, path: pathOf(req.url) }),
        res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
        err: (err: Error & { code?: unknown }) => ({
          type: err?.name,
          message: scrub(err?.message),
          ...(typeof err?.code === 'string' ? { code: err.code } : {}),
          stack: scrub(err?.stack),
        }),
      },
    } as FastifyServerOptions['logger'],
    logController: new ServeLogController(user),
  };
}
