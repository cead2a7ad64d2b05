import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionStore, StoredSession } from '../../store/session-store.js';
import { filesTable } from './pages.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { splitLines } from './transcript-lines.js';
import { renderLines } from './transcript-render.js';

/**
 * The live view of a session file: a Server-Sent Events stream that polls the store for
 * the file's line count and sends only the new lines (`readFile(id, file, after)`),
 * rendered, as `lines` events whose id is the last line sent — so a reconnecting
 * EventSource resumes exactly where it stopped (`Last-Event-ID`). A `files` event carries
 * the session's file table whenever a file grows or appears, and `gone` ends the stream
 * when the session is no longer visible.
 */

export type LiveStore = Pick<SessionStore, 'getSession' | 'readFile'>;

export interface LiveOptions {
  pollMs: number;
  heartbeatMs: number;
  maxStreamsPerOwner: number;
  /** Lines rendered per event; a longer backlog goes out over several polls. */
  maxLinesPerEvent: number;
}

export interface LiveRequest {
  owner: string;
  session: StoredSession;
  fileName: string;
  after: number;
  /** Asked before each poll: a login that ended (logout, revoked key) ends its stream. */
  stillLoggedIn?: () => Promise<boolean>;
}

export class LiveStreams {
  private readonly stops = new Set<() => void>();
  private readonly perOwner = new Map<string, number>();

  constructor(
    private readonly store: LiveStore,
    private readonly opts: LiveOptions,
  ) {}

  /** False when the owner already has the maximum of open streams. */
  canOpen(owner: string): boolean {
    return (this.perOwner.get(owner) ?? 0) < this.opts.maxStreamsPerOwner;
  }

  get open(): number {
    return this.stops.size;
  }

  start(request: FastifyRequest, reply: FastifyReply, live: LiveRequest): void {
    const { owner, fileName } = live;
    const sessionId = live.session.session_id;
    let after = live.after;
    let filesSig = signature(live.session);
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // The stream owns its connection: when it ends, so does the socket (no idle keep-alive
      // socket left for a closing server to wait on).
      connection: 'close',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const send = (event: string, data: unknown, id?: number) => {
      if (stopped) return;
      res.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
    };

    const heartbeat = setInterval(() => {
      if (!stopped) res.write(': ping\n\n');
    }, this.opts.heartbeatMs);
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      clearInterval(heartbeat);
      this.stops.delete(stop);
      const n = (this.perOwner.get(owner) ?? 1) - 1;
      if (n > 0) this.perOwner.set(owner, n);
      else this.perOwner.delete(owner);
      res.end();
    };
    this.stops.add(stop);
    this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1);
    request.raw.on('close', stop);
    res.on('close', stop);

    const tick = async () => {
      let more = false;
      try {
        if (live.stillLoggedIn && !(await live.stillLoggedIn())) {
          stop();
          return;
        }
        const s = await this.store.getSession(sessionId, owner);
        if (!s) {
          send('gone', {});
          stop();
          return;
        }
        const sig = signature(s);
        if (sig !== filesSig) {
          filesSig = sig;
          send('files', { html: filesTable(s, fileName).value });
        }
        const f = s.files.find((x) => x.file_name === fileName);
        if (f && f.last_synced_line > after) {
          const buf = await this.store.readFile(sessionId, fileName, after);
          const lines = splitLines(buf, after + 1, this.opts.maxLinesPerEvent);
          if (lines.length > 0) {
            const html = renderLines(lines, { sessionId, fileName, files: s.files }).value;
            const from = after + 1;
            after += lines.length;
            send('lines', { from, last: after, html }, after);
            more = after < f.last_synced_line;
          }
        }
      } catch {
        // A store hiccup: the next poll tries again; the browser keeps what it has.
      }
      if (stopped) return;
      const next = () => {
        if (!stopped) timer = setTimeout(() => void tick(), more ? 0 : this.opts.pollMs);
      };
      if (res.writableNeedDrain) res.once('drain', next);
      else next();
    };
    void tick();
  }

  /** End every open stream (the server is closing). */
  closeAll(): void {
    for (const stop of [...this.stops]) stop();
  }
}

/** Changes whenever a file appears or grows. */
function signature(s: StoredSession): string {
  return s.files.map((f) => `${f.file_name}\u0000${f.last_synced_line}`).join('\u0001');
}
