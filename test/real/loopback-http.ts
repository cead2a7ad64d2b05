import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the loopback API stand-ins share: a server on 127.0.0.1 and small wire helpers. */

export interface LoopbackServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Listen on 127.0.0.1 (random port); each request's body is read whole and handed to
 * `handle`. A handler that throws answers 500 with `errorBody(message)`.
 */
export async function listenLoopback(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> | void,
  errorBody: (message: string) => unknown,
): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handle(req, res, body))
      .catch((err: unknown) => sendJson(res, 500, errorBody(err instanceof Error ? err.message : String(err))));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Split into at most `parts` non-empty pieces, so deltas arrive in several events as they do live. */
export function pieces(text: string, parts: number): string[] {
  if (text.length === 0) return [];
  const size = Math.ceil(text.length / parts);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Open an SSE response; `send(event, data)` writes one event whose data is `{type: event, ...data}`. */
export function openEventStream(res: ServerResponse): (event: string, data: Record<string, unknown>) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  return (event, data) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
  };
}

/** A running stand-in: its base URL, the requests it logged, and how to stop it. */
export interface LoopbackApi<Entry> {
  readonly url: string;
  readonly port: number;
  readonly requests: readonly Entry[];
  close(): Promise<void>;
}

/** A request body parsed by `parse`, or the error (bad JSON or a failed check) as an Error. */
export function parseBody<T>(body: string, parse: (raw: unknown) => T): T | Error {
  try {
    return parse(JSON.parse(body) as unknown);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** The names in a request's `tools` array (`name`, else `type` for built-in tools). */
export function toolNamesOf(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools
    .map((t: unknown) => (typeof t === 'object' && t !== null ? ((t as Record<string, unknown>).name ?? (t as Record<string, unknown>).type) : undefined))
    .filter((n): n is string => typeof n === 'string');
}

/** Answer `status` with a JSON error body; the log entry records `step` (`not-found`, `invalid`). */
export function refuse<Entry extends { step: string }>(res: ServerResponse, entry: Entry, status: number, step: string, body: unknown): Entry {
  entry.step = step;
  sendJson(res, status, body);
  return entry;
}
