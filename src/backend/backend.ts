/**
 * Backends: where a session's lines go. This interface, the embedded store (`local.ts`),
 * confab-web over HTTP (`http.ts`, `http-transport.ts`), the error kinds every backend maps
 * its failures onto (`errors.ts`) and API-key checks (`auth.ts`).
 */
import type {
  Capabilities,
  ChunkRequest,
  ChunkResponse,
  EventRequest,
  CreateGithubLinkRequest,
  InitRequest,
  InitResponse,
  RemoteFile,
} from '../format/wire.js';
import type { UploadBudget } from './upload-budget.js';

export interface RequestOptions {
  signal?: AbortSignal;
  /**
   * The request already serialized by the caller (the sync engine encodes each line once, as it
   * reads it): sent as is, and its size checked without serializing the request again. Must
   * be a serialization of the request it comes with.
   */
  encoded?: EncodedBody;
}

/** A request body's length in bytes as UTF-8, and its JSON as UTF-8 bytes (built when first asked for). */
export interface EncodedBody {
  bytes: number;
  body(): Buffer;
}

/** A session as a backend knows it, for `session list-files|download` and the viewer. */
export interface RemoteSession {
  session_id: string;
  external_id: string;
  provider: string;
  files: RemoteFile[];
  summary?: string;
  first_user_message?: string;
  cwd?: string;
  /** The transcript path of the session's last init (confab-web shows it to the owner only). */
  transcript_path?: string;
  first_seen?: string;
  last_sync_at?: string;
}

/**
 * How fast the engine may upload to this backend. confab-web allows ~2.78 uploads/s per
 * user and 30,000 chunks per file; the embedded store has no such budget.
 */
export interface UploadPolicy {
  /** Minimum spacing between two chunk uploads of the same file, once a burst is under way. */
  minChunkSpacingMs: number;
  /** Chunks per file the backend refuses beyond; the engine batches harder as a file nears it. */
  maxChunksPerFile: number;
  /** Serialized request-body cap (bytes of uncompressed JSON). */
  maxRequestBytes: number;
}

/**
 * The sync API every backend implements. Shapes are confab-web's wire bodies; failures are
 * `BackendError`s whose `kind` decides the engine's reaction.
 */
export interface Backend {
  /** `http` for confab-web and `confab serve`, `local` for the embedded store. */
  readonly kind: 'http' | 'local';
  /** Where the data goes, for humans (a URL or a directory). Never contains a key. */
  readonly location: string;
  readonly policy: UploadPolicy;
  /**
   * The per-user request budget shared with the user's other daemons, when the backend has
   * one: the engine holds a file's lines back until it is this process's turn, so one
   * request then carries everything appended meanwhile.
   */
  readonly budget?: UploadBudget;

  init(req: InitRequest, opts?: RequestOptions): Promise<InitResponse>;
  chunk(req: ChunkRequest, opts?: RequestOptions): Promise<ChunkResponse>;
  event(req: EventRequest, opts?: RequestOptions): Promise<void>;
  /** Definitive answers only; throws on transient failures so the caller probes again later. */
  capabilities(opts?: RequestOptions): Promise<Capabilities>;
  /**
   * Link a backend session (by its backend id) to a commit or pull request. Repeating a link
   * is fine: a backend that answers 409 (already linked) counts as success.
   */
  recordGithubLink(sessionId: string, req: CreateGithubLinkRequest, opts?: RequestOptions): Promise<void>;
  /** Best-effort summary link onto an earlier session (by external id, any provider). */
  updateSummary(externalId: string, summary: string, opts?: RequestOptions): Promise<void>;

  /** Read side. `id` is a backend session id, or an external id. */
  getSession(id: string, opts?: RequestOptions): Promise<RemoteSession>;
  /** The file's lines exactly as stored, each terminated by `\n`. */
  downloadFile(sessionId: string, fileName: string, opts?: RequestOptions): Promise<Buffer>;

  close(): Promise<void>;
}
