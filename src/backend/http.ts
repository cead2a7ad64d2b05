import type { Backend, RemoteSession, RequestOptions, UploadPolicy } from './backend.js';
import { isBackendError } from './errors.js';
import { HttpTransport, type HttpCall, type HttpResult, type Sleep } from './http-transport.js';
import type { UploadBudget } from './upload-budget.js';
import type { Capabilities, ChunkRequest, ChunkResponse, EventRequest, CreateGithubLinkRequest, InitRequest, InitResponse, RemoteFile } from '../format/wire.js';

/**
 * confab-web's budgets: ~2.78 uploads/s per user (burst 2000), 30,000 chunks per file, and a
 * 16 MiB cap on the decompressed request body (we stay a MiB below it).
 */
export const CONFAB_WEB_POLICY: UploadPolicy = Object.freeze({
  minChunkSpacingMs: 1_000,
  maxChunksPerFile: 30_000,
  maxRequestBytes: 15 * 1024 * 1024,
});

export interface HttpBackendOptions {
  url: string;
  apiKey: string;
  timeoutMs?: number;
  userAgent?: string;
  /** Waits between 429 retries (injectable for tests). */
  sleep?: Sleep;
  /** 429 retries per request before it fails as `rate-limited` (default 5). */
  rateLimitRetries?: number;
  policy?: UploadPolicy;
  /** The user's upload budget, shared with their other daemons (none: requests go out when asked). */
  budget?: UploadBudget;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Where = Pick<HttpCall, 'method' | 'path'>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The confab-web client (also the client of `confab serve`). Speaks the wire exactly:
 * `Authorization: Bearer`, `User-Agent: confab/<v> (<os>; <arch>)`, JSON bodies, zstd only on
 * `/api/v1/sync/{init,chunk,event}` bodies of 1 KiB or more, 429 retried with back-off.
 * Responses are validated at runtime; anything off is a `protocol` error.
 */
export class HttpBackend implements Backend {
  readonly kind = 'http' as const;
  readonly location: string;
  readonly policy: UploadPolicy;
  readonly budget: UploadBudget | undefined;
  private readonly http: HttpTransport;

  constructor(opts: HttpBackendOptions) {
    this.http = new HttpTransport({
      url: opts.url,
      apiKey: opts.apiKey,
      timeoutMs: opts.timeoutMs,
      userAgent: opts.userAgent,
      sleep: opts.sleep,
      rateLimitRetries: opts.rateLimitRetries,
      budget: opts.budget,
    });
    this.budget = opts.budget;
    this.location = this.http.baseUrl;
    this.policy = opts.policy ?? CONFAB_WEB_POLICY;
  }

  private async json(call: HttpCall): Promise<{ where: Where; value: unknown }> {
    const result = await this.http.request(call);
    return { where: call, value: this.http.parseJson(call, result) };
  }

  private object(where: Where, value: unknown): Record<string, unknown> {
    if (!isObject(value)) throw this.http.protocolError(where, 'expected a JSON object');
    return value;
  }

  async init(req: InitRequest, opts: RequestOptions = {}): Promise<InitResponse> {
    const { where, value } = await this.json({ method: 'POST', path: '/api/v1/sync/init', json: req, compress: true, budgeted: true, signal: opts.signal });
    const body = this.object(where, value);
    if (typeof body.session_id !== 'string' || body.session_id === '') throw this.http.protocolError(where, 'session_id missing');
    const filesIn = body.files ?? {};
    if (!isObject(filesIn)) throw this.http.protocolError(where, 'files is not an object');
    const files: InitResponse['files'] = {};
    for (const [name, file] of Object.entries(filesIn)) {
      if (!isObject(file) || !isCount(file.last_synced_line)) throw this.http.protocolError(where, 'a file lacks a valid last_synced_line');
      files[name] = { last_synced_line: file.last_synced_line };
    }
    return { session_id: body.session_id, ...(typeof body.provider === 'string' ? { provider: body.provider } : {}), files };
  }

  async chunk(req: ChunkRequest, opts: RequestOptions = {}): Promise<ChunkResponse> {
    const { where, value } = await this.json({
      method: 'POST',
      path: '/api/v1/sync/chunk',
      json: req,
      ...(opts.encoded ? { encodedBody: opts.encoded.body() } : {}),
      compress: true,
      budgeted: true,
      signal: opts.signal,
    });
    const body = this.object(where, value);
    if (!isCount(body.last_synced_line)) throw this.http.protocolError(where, 'last_synced_line missing');
    return { last_synced_line: body.last_synced_line };
  }

  async event(req: EventRequest, opts: RequestOptions = {}): Promise<void> {
    const { where, value } = await this.json({ method: 'POST', path: '/api/v1/sync/event', json: req, compress: true, budgeted: true, signal: opts.signal });
    const body = this.object(where, value);
    if (body.success !== true) throw this.http.protocolError(where, 'success is not true');
  }

  /** 404 (an older backend) means "nothing optional supported", definitively; other failures throw. */
  async capabilities(opts: RequestOptions = {}): Promise<Capabilities> {
    const call: HttpCall = { method: 'GET', path: '/api/v1/capabilities', accept: [404], signal: opts.signal };
    const result = await this.http.request(call);
    if (result.status === 404) return { workflow_files: false, workflow_journal: false, opencode_subagents: false };
    const body = this.object(call, this.http.parseJson(call, result));
    const flag = (...keys: string[]): boolean => {
      let on = false;
      for (const key of keys) {
        const v = body[key];
        if (v === undefined || v === null) continue;
        if (typeof v !== 'boolean') throw this.http.protocolError(call, `${key} is not a boolean`);
        on ||= v;
      }
      return on;
    };
    return {
      workflow_files: flag('workflow_files'),
      workflow_journal: flag('workflow_journal'),
      // confab-web advertises `opencode_subagents`; the Go CLI read `opencode_subagent_files`.
      opencode_subagents: flag('opencode_subagents', 'opencode_subagent_files'),
    };
  }

  /** Not under the zstd decoder on the server: always sent uncompressed. */
  async updateSummary(externalId: string, summary: string, opts: RequestOptions = {}): Promise<void> {
    const { where, value } = await this.json({
      method: 'PATCH',
      path: `/api/v1/sessions/${encodeURIComponent(externalId)}/summary`,
      json: { summary },
      compress: false,
      signal: opts.signal,
    });
    this.object(where, value);
  }

  /**
   * Not under the zstd decoder on the server: always sent uncompressed. 409 means the link
   * exists already: success.
   */
  async recordGithubLink(sessionId: string, req: CreateGithubLinkRequest, opts: RequestOptions = {}): Promise<void> {
    const call: HttpCall = {
      method: 'POST',
      path: `/api/v1/sessions/${encodeURIComponent(sessionId)}/github-links`,
      json: req,
      compress: false,
      accept: [409],
      signal: opts.signal,
    };
    const result = await this.http.request(call);
    if (result.status !== 409) this.object(call, this.http.parseJson(call, result));
  }

  /**
   * By backend session id, or by external id. Claude Code's external ids are UUIDs too, so a
   * UUID the server does not know as a session id is looked up as an external id.
   */
  async getSession(id: string, opts: RequestOptions = {}): Promise<RemoteSession> {
    if (UUID.test(id)) {
      try {
        return await this.sessionById(id, opts);
      } catch (err) {
        if (!isBackendError(err, 'not-found')) throw err;
      }
    }
    return this.getSessionByExternalId(id, opts);
  }

  /** `GET /sessions/by-external-id/{id}`, then the session (two requests; a 404 if unknown). */
  async getSessionByExternalId(externalId: string, opts: RequestOptions = {}): Promise<RemoteSession> {
    const { where, value } = await this.json({ method: 'GET', path: `/api/v1/sessions/by-external-id/${encodeURIComponent(externalId)}`, signal: opts.signal });
    const body = this.object(where, value);
    if (typeof body.session_id !== 'string' || body.session_id === '') throw this.http.protocolError(where, 'session_id missing');
    return this.sessionById(body.session_id, opts);
  }

  private async sessionById(sessionId: string, opts: RequestOptions): Promise<RemoteSession> {
    const { where, value } = await this.json({ method: 'GET', path: `/api/v1/sessions/${encodeURIComponent(sessionId)}`, signal: opts.signal });
    return parseSession(where, this.object(where, value), this.http);
  }

  /** The whole merged file, each line `\n`-terminated; capped at 32 MiB, not retried on 429 (as the Go CLI). */
  async downloadFile(sessionId: string, fileName: string, opts: RequestOptions = {}): Promise<Buffer> {
    const result: HttpResult = await this.http.request({
      method: 'GET',
      path: `/api/v1/sessions/${encodeURIComponent(sessionId)}/files/download`,
      query: { file_name: fileName },
      retryRateLimit: false,
      signal: opts.signal,
    });
    return result.body;
  }

  async close(): Promise<void> {
    // Stateless: nothing held open between requests.
  }
}

function parseSession(where: Where, body: Record<string, unknown>, http: HttpTransport): RemoteSession {
  const sessionId = typeof body.id === 'string' ? body.id : body.session_id;
  if (typeof sessionId !== 'string' || sessionId === '') throw http.protocolError(where, 'session id missing');
  if (typeof body.external_id !== 'string') throw http.protocolError(where, 'external_id missing');
  const filesIn = body.files ?? [];
  if (!Array.isArray(filesIn)) throw http.protocolError(where, 'files is not an array');
  const files: RemoteFile[] = filesIn.map((f: unknown) => {
    if (!isObject(f) || typeof f.file_name !== 'string' || typeof f.file_type !== 'string' || !isCount(f.last_synced_line)) {
      throw http.protocolError(where, 'a file entry is malformed');
    }
    return {
      file_name: f.file_name,
      file_type: f.file_type,
      last_synced_line: f.last_synced_line,
      ...(typeof f.updated_at === 'string' ? { updated_at: f.updated_at } : {}),
    };
  });
  const session: RemoteSession = {
    session_id: sessionId,
    external_id: body.external_id,
    provider: typeof body.provider === 'string' ? body.provider : 'claude-code',
    files,
  };
  for (const key of ['summary', 'first_user_message', 'cwd', 'transcript_path', 'first_seen', 'last_sync_at'] as const) {
    const v = body[key];
    if (typeof v === 'string') session[key] = v;
  }
  return session;
}
