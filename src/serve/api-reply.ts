import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VerifiedKey } from './keys.js';

/**
 * What every API route shares: its per-route settings (read by the middleware and the body
 * parser), the per-request state, and the two answer formats confab-web uses (text/plain from
 * middleware, JSON from handlers).
 */

export const BODY_CAPS = {
  chunk: 16 * 1024 * 1024,
  small: 128 * 1024,
  get: 2 * 1024,
} as const;

export type AuthMode = 'key' | 'key-or-session' | 'optional' | 'none';

export interface RouteApi {
  auth: AuthMode;
  bodyCap: number;
  zstd: boolean;
  limiter?: 'upload' | 'validate' | 'externalRead';
  /** The decode-failure message (`Invalid JSON body` on /event). */
  badBody: string;
  /** The 500 message when the store fails unexpectedly. */
  failure: string;
}

/** A client behaviour the API tolerates (or serializes) but a well-behaved client never shows. */
export interface ClientViolation {
  rule: number;
  message: string;
  owner: string | undefined;
}

export type ViolationSink = (rule: number, message: string, owner: string | undefined) => void;

/** Sends a handled request's answer. */
export type SendAnswer = () => FastifyReply | Promise<FastifyReply>;

export interface RequestState {
  key: VerifiedKey | undefined;
  /** Runs before a chunk is stored; throwing answers the request instead (test fault injection). */
  beforeStore?: () => Promise<void>;
  /** Wraps the sending of a stored request's answer (test fault injection). */
  afterStore?: (send: SendAnswer) => Promise<FastifyReply>;
}

declare module 'fastify' {
  interface FastifyRequest {
    confab: RequestState | null;
  }
  interface FastifyContextConfig {
    api?: RouteApi;
  }
}

/** An error answered as-is: text/plain from "middleware", JSON from handlers. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly format: 'text' | 'json',
    readonly headers: Record<string, string> = {},
    readonly closeConnection = false,
  ) {
    super(message);
  }
}

export const RATE_LIMITED = 'Rate limit exceeded. Please try again later.';

export function sendText(reply: FastifyReply, status: number, message: string, headers: Record<string, string> = {}): FastifyReply {
  return reply
    .code(status)
    .headers({ 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...headers })
    .send(`${message}\n`);
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).headers({ 'content-type': 'application/json', 'cache-control': 'no-store' }).send(Buffer.from(`${JSON.stringify(body)}\n`));
}

export const routeApi = (request: FastifyRequest): RouteApi | undefined => request.routeOptions.config?.api;

/** A route's settings: GET-sized body, no zstd, confab-web's generic messages unless given. */
export const routeConfig = (api: Partial<RouteApi> & Pick<RouteApi, 'auth'>): { api: RouteApi } => ({
  api: { bodyCap: BODY_CAPS.get, zstd: false, badBody: 'Invalid request body', failure: 'Internal server error', ...api },
});

/** The authenticated user of a route that requires a key. */
export function ownerOf(request: FastifyRequest): string {
  const owner = request.confab?.key?.owner;
  if (owner === undefined) throw new HttpFailure(401, 'Unauthorized', 'text');
  return owner;
}

/** Answer a handled request with JSON. */
export function answer(request: FastifyRequest, reply: FastifyReply, status: number, body: unknown): Promise<FastifyReply> {
  return sendVia(request, () => sendJson(reply, status, body));
}

/** Answer a handled request with a file's bytes. */
export function answerRaw(request: FastifyRequest, reply: FastifyReply, data: Buffer): Promise<FastifyReply> {
  return sendVia(request, () => reply.code(200).headers({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).send(data));
}

async function sendVia(request: FastifyRequest, send: SendAnswer): Promise<FastifyReply> {
  const afterStore = request.confab?.afterStore;
  return afterStore ? afterStore(send) : send();
}
