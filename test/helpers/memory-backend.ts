import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Backend, RemoteSession, RequestOptions, UploadPolicy } from '../../src/backend/backend.js';
import { BackendError } from '../../src/backend/errors.js';
import type { Capabilities, ChunkRequest, ChunkResponse, CreateGithubLinkRequest, EventRequest, InitRequest, InitResponse } from '../../src/format/wire.js';
import type { Clock } from '../../src/sync/clock.js';

export type FaultOp = 'init' | 'chunk' | 'event' | 'capabilities' | 'summary';

export type FaultKind =
  | '429' // rejected by the rate limiter, nothing stored
  | '500-before' // server error, nothing stored
  | '500-after' // stored, then a server error (the DB update "failed" after S3 write… or the reverse)
  | 'lost-after' // stored, then the connection dropped: the client never sees the 200
  | 'timeout-after' // stored, then the client timed out
  | 'slow' // a slow but successful response
  | '400' // rejected as invalid, nothing stored
  | '400-continuity' // the same chunk already landed on another connection: stored, then a continuity 400
  | '401'
  | '404';

export interface Fault {
  op: FaultOp;
  kind: FaultKind;
  /** How many requests it hits (default 1). */
  times?: number;
  retryAfterMs?: number;
  delayMs?: number;
  match?: (req: unknown) => boolean;
}

export interface MemoryFile {
  type: string;
  lines: string[];
  chunks: number;
}

export interface MemorySession {
  session_id: string;
  provider: string;
  external_id: string;
  transcript_path: string;
  cwd?: string;
  git_info?: unknown;
  hostname?: string;
  username?: string;
  summary?: string;
  first_user_message?: string;
  files: Map<string, MemoryFile>;
  events: EventRequest[];
}

export interface TokenBucket {
  ratePerSec: number;
  burst: number;
  /** Tokens at start (default: a full burst). */
  tokens?: number;
}

export interface MemoryBackendOptions {
  policy?: Partial<UploadPolicy>;
  clock?: Clock;
  /** confab-web's per-user upload limiter (init, chunk and event share it). */
  bucket?: TokenBucket;
  capabilities?: Capabilities | 'not-found' | 'error';
  /** `http`: stand in for a backend that sends request bodies (the engine keeps each line's JSON for them). */
  kind?: 'local' | 'http';
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An in-memory backend with confab-web's semantics and a strict eye: the continuity rule
 * (`first_line == last_synced_line + 1`, checked and applied atomically), the per-file chunk
 * cap, the request-size cap, and checks that flag client bugs (`violations`): concurrent
 * uploads of one file, lines containing `\n`, `git_info: null`, an empty cwd on re-init.
 * Faults can be injected per operation.
 */
export class MemoryBackend implements Backend {
  readonly kind: 'local' | 'http';
  readonly location = 'memory';
  readonly policy: UploadPolicy;
  readonly sessions = new Map<string, MemorySession>();
  readonly violations: string[] = [];
  readonly faults: Fault[] = [];
  readonly log: Array<{ op: FaultOp; req: unknown; outcome: string }> = [];
  readonly stats = { init: 0, chunk: 0, event: 0, capabilities: 0, rateLimited: 0, continuityErrors: 0, maxBodyBytes: 0 };
  readonly summaries: Array<{ externalId: string; summary: string }> = [];
  readonly githubLinks: Array<{ sessionId: string } & CreateGithubLinkRequest> = [];
  capabilitiesAnswer: Capabilities | 'not-found' | 'error';
  private readonly clock: Clock | undefined;
  private readonly bucket: (TokenBucket & { tokens: number; at: number }) | undefined;
  private readonly inFlight = new Set<string>();

  constructor(opts: MemoryBackendOptions = {}) {
    this.kind = opts.kind ?? 'local';
    this.policy = { minChunkSpacingMs: 0, maxChunksPerFile: Infinity, maxRequestBytes: 16 * 1024 * 1024, ...opts.policy };
    this.clock = opts.clock;
    if (opts.bucket) this.bucket = { ...opts.bucket, tokens: opts.bucket.tokens ?? opts.bucket.burst, at: this.now() };
    this.capabilitiesAnswer = opts.capabilities ?? { workflow_files: true, workflow_journal: true, opencode_subagents: true };
  }

  private now(): number {
    return this.clock ? this.clock.now() : Date.now();
  }

  inject(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  private takeFault(op: FaultOp, req: unknown): Fault | undefined {
    const i = this.faults.findIndex((f) => f.op === op && (f.times ?? 1) > 0 && (!f.match || f.match(req)));
    if (i < 0) return undefined;
    const fault = this.faults[i] as Fault;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(i, 1);
    return fault;
  }

  private takeToken(): boolean {
    const b = this.bucket;
    if (!b) return true;
    const now = this.now();
    b.tokens = Math.min(b.burst, b.tokens + ((now - b.at) / 1000) * b.ratePerSec);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Runs one request under the fault plan: faults before, the operation, faults after. */
  private async run<T>(op: FaultOp, req: unknown, rateLimited: boolean, work: () => T): Promise<T> {
    const fault = this.takeFault(op, req);
    const record = (outcome: string) => this.log.push({ op, req, outcome });
    const fail = (kind: ConstructorParameters<typeof BackendError>[0], status: number | undefined, message: string, retryAfterMs?: number): never => {
      record(message);
      throw new BackendError(kind, message, { status, retryAfterMs });
    };
    if (fault?.kind === 'slow') await delay(fault.delayMs ?? 50);
    if (fault?.kind === '429') {
      this.stats.rateLimited++;
      fail('rate-limited', 429, 'rate limited (injected)', fault.retryAfterMs);
    }
    if (rateLimited && !this.takeToken()) {
      this.stats.rateLimited++;
      fail('rate-limited', 429, 'Rate limit exceeded. Please try again later.');
    }
    if (fault?.kind === '500-before') fail('server', 500, 'HTTP 500: Failed to upload chunk');
    if (fault?.kind === '400') fail('invalid', 400, 'HTTP 400: rejected (injected)');
    if (fault?.kind === '401') fail('unauthorized', 401, 'HTTP 401: Invalid API key');
    if (fault?.kind === '404') fail('not-found', 404, 'HTTP 404: Session not found');
    if (fault?.kind === '400-continuity') {
      // What a server sees when a request it stored is re-sent: the data is there, the retry is refused.
      const stored = work() as unknown as ChunkResponse;
      fail('invalid', 400, `HTTP 400: first_line must be ${stored.last_synced_line + 1} (got ${(req as ChunkRequest).first_line}) - chunks must be contiguous`);
    }
    let result: T;
    try {
      result = work();
    } catch (err) {
      record(err instanceof Error ? err.message : String(err));
      throw err;
    }
    if (fault?.kind === '500-after') fail('server', 500, 'HTTP 500: Failed to update sync state');
    if (fault?.kind === 'lost-after') fail('network', undefined, 'network error: ECONNRESET');
    if (fault?.kind === 'timeout-after') fail('timeout', undefined, 'timed out after 30 s');
    record('ok');
    return result;
  }

  async init(req: InitRequest, _opts?: RequestOptions): Promise<InitResponse> {
    this.stats.init++;
    return this.run('init', req, true, () => {
      const provider = req.provider ?? 'claude-code';
      if (!req.external_id) throw new BackendError('invalid', 'HTTP 400: external_id is required', { status: 400 });
      if (!req.transcript_path) throw new BackendError('invalid', 'HTTP 400: transcript_path is required', { status: 400 });
      const meta = req.metadata as Record<string, unknown> | undefined;
      if (meta && 'git_info' in meta && meta.git_info === null) this.violations.push('init sent git_info: null');
      let session = [...this.sessions.values()].find((s) => s.provider === provider && s.external_id === req.external_id);
      if (session && meta && meta.cwd === '') this.violations.push('re-init sent an empty cwd');
      if (!session) {
        session = { session_id: randomUUID(), provider, external_id: req.external_id, transcript_path: req.transcript_path, files: new Map(), events: [] };
        this.sessions.set(session.session_id, session);
      }
      session.transcript_path = req.transcript_path;
      if (meta) {
        if (typeof meta.cwd === 'string') session.cwd = meta.cwd;
        if (meta.git_info !== undefined) session.git_info = meta.git_info;
        if (typeof meta.hostname === 'string' && meta.hostname) session.hostname = meta.hostname;
        if (typeof meta.username === 'string' && meta.username) session.username = meta.username;
      }
      const files: InitResponse['files'] = {};
      for (const [name, f] of session.files) files[name] = { last_synced_line: f.lines.length };
      return { session_id: session.session_id, provider, files };
    });
  }

  async chunk(req: ChunkRequest, opts?: RequestOptions): Promise<ChunkResponse> {
    this.stats.chunk++;
    const key = `${req.session_id}\u0000${req.file_name}`;
    if (this.inFlight.has(key)) this.violations.push(`concurrent uploads of ${req.file_name}`);
    this.inFlight.add(key);
    try {
      const bodyBytes = Buffer.byteLength(JSON.stringify(req), 'utf8');
      // The engine's measure of the body (what it packs chunks by) must be the body's size.
      if (opts?.encoded && opts.encoded.bytes !== bodyBytes) this.violations.push(`chunk body measured as ${opts.encoded.bytes} bytes, is ${bodyBytes}`);
      // And the body the engine would send is the request.
      if (opts?.encoded) {
        const body = opts.encoded.body();
        if (body.length !== opts.encoded.bytes) this.violations.push(`chunk body is ${body.length} bytes, measured as ${opts.encoded.bytes}`);
        if (!isDeepStrictEqual(JSON.parse(body.toString('utf8')), JSON.parse(JSON.stringify(req)))) this.violations.push(`chunk body of ${req.file_name} at line ${req.first_line} is not its request`);
      }
      this.stats.maxBodyBytes = Math.max(this.stats.maxBodyBytes, bodyBytes);
      return await this.run('chunk', req, true, () => {
        if (bodyBytes > this.policy.maxRequestBytes) {
          this.violations.push(`request body of ${bodyBytes} bytes exceeds ${this.policy.maxRequestBytes}`);
          throw new BackendError('invalid', 'HTTP 400: Invalid request body', { status: 400 });
        }
        const session = this.sessions.get(req.session_id);
        if (!session) throw new BackendError('not-found', 'HTTP 404: Session not found', { status: 404 });
        if (!req.file_name || !req.file_type) throw new BackendError('invalid', 'HTTP 400: file_name and file_type are required', { status: 400 });
        if (!Array.isArray(req.lines) || req.lines.length === 0) throw new BackendError('invalid', 'HTTP 400: lines array cannot be empty', { status: 400 });
        if (req.lines.some((l) => typeof l !== 'string' || l.includes('\n'))) this.violations.push(`a line of ${req.file_name} contains \\n`);
        const meta = req.metadata as Record<string, unknown> | undefined;
        if (meta && 'git_info' in meta && meta.git_info === null) this.violations.push('chunk sent git_info: null');
        let file = session.files.get(req.file_name);
        const expected = (file?.lines.length ?? 0) + 1;
        if (req.first_line !== expected) {
          this.stats.continuityErrors++;
          throw new BackendError('invalid', `HTTP 400: first_line must be ${expected} (got ${req.first_line}) - chunks must be contiguous`, { status: 400 });
        }
        if (file && file.chunks >= this.policy.maxChunksPerFile) {
          throw new BackendError('invalid', `HTTP 400: File has too many chunks (limit: ${this.policy.maxChunksPerFile}). Consider starting a new session.`, {
            status: 400,
          });
        }
        if (!file) {
          file = { type: req.file_type, lines: [], chunks: 0 };
          session.files.set(req.file_name, file);
        }
        file.lines.push(...req.lines);
        file.chunks++;
        if (req.file_type === 'transcript' && meta) {
          if (typeof meta.summary === 'string') session.summary = meta.summary;
          if (typeof meta.first_user_message === 'string' && session.first_user_message === undefined) session.first_user_message = meta.first_user_message;
          if (meta.git_info !== undefined) session.git_info = meta.git_info;
        }
        return { last_synced_line: file.lines.length };
      });
    } finally {
      this.inFlight.delete(key);
    }
  }

  async event(req: EventRequest, _opts?: RequestOptions): Promise<void> {
    this.stats.event++;
    await this.run('event', req, true, () => {
      const session = this.sessions.get(req.session_id);
      if (!session) throw new BackendError('not-found', 'HTTP 404: Session not found', { status: 404 });
      session.events.push(req);
    });
  }

  async capabilities(_opts?: RequestOptions): Promise<Capabilities> {
    this.stats.capabilities++;
    return this.run('capabilities', undefined, false, () => {
      const a = this.capabilitiesAnswer;
      if (a === 'not-found') return { workflow_files: false, workflow_journal: false, opencode_subagents: false };
      if (a === 'error') throw new BackendError('server', 'HTTP 503: unavailable', { status: 503 });
      return { ...a };
    });
  }

  async recordGithubLink(sessionId: string, req: CreateGithubLinkRequest, _opts?: RequestOptions): Promise<void> {
    if (!this.sessions.has(sessionId)) throw new BackendError('not-found', 'HTTP 404: Session not found', { status: 404 });
    this.githubLinks.push({ sessionId, ...req });
  }

  async updateSummary(externalId: string, summary: string, _opts?: RequestOptions): Promise<void> {
    await this.run('summary', { externalId, summary }, false, () => {
      const sessions = [...this.sessions.values()].filter((s) => s.external_id === externalId);
      if (sessions.length === 0) throw new BackendError('not-found', 'HTTP 404: Session not found', { status: 404 });
      for (const s of sessions) s.summary = summary;
      this.summaries.push({ externalId, summary });
    });
  }

  async getSession(id: string, _opts?: RequestOptions): Promise<RemoteSession> {
    const s = this.sessions.get(id) ?? [...this.sessions.values()].find((x) => x.external_id === id);
    if (!s) throw new BackendError('not-found', 'HTTP 404: Session not found', { status: 404 });
    return {
      session_id: s.session_id,
      external_id: s.external_id,
      provider: s.provider,
      files: [...s.files].map(([file_name, f]) => ({ file_name, file_type: f.type, last_synced_line: f.lines.length })),
      ...(s.summary === undefined ? {} : { summary: s.summary }),
    };
  }

  async downloadFile(sessionId: string, fileName: string, _opts?: RequestOptions): Promise<Buffer> {
    return this.fileBytes(sessionId, fileName);
  }

  async close(): Promise<void> {}

  session(idOrExternal?: string): MemorySession {
    const all = [...this.sessions.values()];
    const s = idOrExternal === undefined ? all[0] : (this.sessions.get(idOrExternal) ?? all.find((x) => x.external_id === idOrExternal));
    if (!s) throw new Error(`no session ${idOrExternal ?? ''}`);
    return s;
  }

  fileLines(sessionId: string | undefined, fileName: string): string[] {
    return this.session(sessionId).files.get(fileName)?.lines ?? [];
  }

  /** The file as the backend would hand it back: lines joined by `\n`, each terminated. */
  fileBytes(sessionId: string | undefined, fileName: string): Buffer {
    const lines = this.fileLines(sessionId, fileName);
    return Buffer.from(lines.length ? `${lines.join('\n')}\n` : '', 'utf8');
  }

  chunkRequests(fileName?: string): ChunkRequest[] {
    return this.log.filter((e) => e.op === 'chunk' && e.outcome === 'ok').map((e) => e.req as ChunkRequest).filter((r) => !fileName || r.file_name === fileName);
  }
}
