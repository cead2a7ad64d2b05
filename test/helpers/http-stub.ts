import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface StubReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Never answer (to exercise client timeouts). */
  hang?: boolean;
}

export type StubHandler = (req: RecordedRequest) => StubReply | Promise<StubReply>;

/** A tiny HTTP server on 127.0.0.1 that records every request and answers with `handler`. */
export class HttpStub {
  readonly requests: RecordedRequest[] = [];
  handler: StubHandler = () => ({ status: 404, body: '404 page not found\n' });
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts) };
        this.requests.push(recorded);
        Promise.resolve(this.handler(recorded)).then(
          (reply) => {
            if (reply.hang) return;
            res.writeHead(reply.status ?? 200, reply.headers ?? { 'Content-Type': 'application/json' });
            res.end(reply.body ?? '');
          },
          () => {
            res.writeHead(500);
            res.end('stub handler failed');
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export const json = (value: unknown, status = 200): StubReply => ({
  status,
  headers: { 'Content-Type': 'application/json' },
  body: `${JSON.stringify(value)}\n`,
});

export const text = (body: string, status: number): StubReply => ({
  status,
  headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  body,
});
