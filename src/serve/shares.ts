import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensurePrivateDir } from '../fs/private-files.js';
import { SharedJsonFile } from '../fs/shared-json-file.js';

/**
 * Read-only links to one session of a `confab serve` store (`/s/<token>`). The token is 32
 * random bytes (URL-safe base64), shown once when the link is made; `shares.json` (0600,
 * beside `keys.json`) keeps only its SHA-256. A link belongs to the session's owner, may
 * expire, and is deleted when revoked. The file is re-read whenever it changes, so a link
 * made or revoked by another process (`confab serve share …`) applies on the next request.
 */

export interface ShareInfo {
  id: string;
  session_id: string;
  owner: string;
  created_at: string;
  /** RFC 3339; absent: the link does not expire. */
  expires_at?: string;
}

export interface CreatedShare extends ShareInfo {
  /** The token of the link: shown once, never stored. */
  token: string;
}

interface StoredShare extends ShareInfo {
  hash: string;
}

interface ShareFile {
  format: 1;
  shares: StoredShare[];
}

export class ShareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShareError';
  }
}

/** The URL path of a shared link. */
export const sharePath = (token: string): string => `/s/${token}`;

/** 43 characters of URL-safe base64 (32 bytes). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function hashShareToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function isStoredShare(v: unknown): v is StoredShare {
  const s = v as StoredShare;
  return (
    !!s &&
    typeof s.id === 'string' &&
    typeof s.session_id === 'string' &&
    typeof s.owner === 'string' &&
    typeof s.created_at === 'string' &&
    (s.expires_at === undefined || (typeof s.expires_at === 'string' && !Number.isNaN(Date.parse(s.expires_at)))) &&
    typeof s.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(s.hash)
  );
}

const publicInfo = ({ hash: _hash, ...info }: StoredShare): ShareInfo => info;

export class ShareLinks {
  readonly path: string;
  private readonly now: () => number;
  private readonly file: SharedJsonFile<ShareFile>;

  constructor(path: string, now: () => number = Date.now) {
    this.path = path;
    this.now = now;
    this.file = new SharedJsonFile<ShareFile>(path, {
      empty: () => ({ format: 1, shares: [] }),
      valid: (v): v is ShareFile => {
        const f = v as Partial<ShareFile> | null;
        return !!f && f.format === 1 && Array.isArray(f.shares) && f.shares.every(isStoredShare);
      },
      invalid: (p) => new ShareError(`${p} is not a valid shared-links file`),
    });
  }

  /** The shared links of the store in `dir`. */
  static async open(dir: string, now?: () => number): Promise<ShareLinks> {
    await ensurePrivateDir(dir);
    return new ShareLinks(join(dir, 'shares.json'), now);
  }

  /** A new link to `sessionId` for its owner; `expiresAt` (ms) must be in the future. */
  async create(owner: string, sessionId: string, opts: { expiresAt?: number } = {}): Promise<CreatedShare> {
    if (opts.expiresAt !== undefined && !(opts.expiresAt > this.now())) throw new ShareError('the expiry must be in the future');
    const token = randomBytes(32).toString('base64url');
    const stored: StoredShare = {
      id: randomBytes(6).toString('hex'),
      session_id: sessionId,
      owner,
      created_at: new Date(this.now()).toISOString(),
      ...(opts.expiresAt === undefined ? {} : { expires_at: new Date(opts.expiresAt).toISOString() }),
      hash: hashShareToken(token),
    };
    await this.update((file) => {
      file.shares.push(stored);
    });
    return { ...publicInfo(stored), token };
  }

  /** The owner's links (of one session, when given), expired ones included, oldest first. */
  async list(owner?: string, sessionId?: string): Promise<ShareInfo[]> {
    const all = (await this.current())?.all ?? [];
    return all.filter((s) => (owner === undefined || s.owner === owner) && (sessionId === undefined || s.session_id === sessionId)).map(publicInfo);
  }

  /** Delete a link; only its owner may (undefined: anyone, for the store's administrator). */
  async revoke(id: string, owner?: string): Promise<ShareInfo> {
    return this.update((file) => {
      const found = file.shares.find((s) => s.id === id && (owner === undefined || s.owner === owner));
      if (!found) throw new ShareError(`no shared link with id "${id}"`);
      file.shares = file.shares.filter((s) => s !== found);
      return publicInfo(found);
    });
  }

  /** The live link a token opens; undefined for unknown, malformed, revoked or expired tokens. */
  async resolve(token: string): Promise<ShareInfo | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const found = (await this.current())?.byHash.get(hashShareToken(token));
    if (!found || this.expired(found)) return undefined;
    return publicInfo(found);
  }

  expired(s: ShareInfo): boolean {
    return s.expires_at !== undefined && Date.parse(s.expires_at) <= this.now();
  }

  private update<T>(fn: (file: ShareFile) => T): Promise<T> {
    return this.file.update((file) => {
      const result = fn(file);
      // Expired links go the next time the file is written anyway.
      file.shares = file.shares.filter((s) => !this.expired(s));
      return result;
    });
  }

  private current(): Promise<{ byHash: Map<string, StoredShare>; all: StoredShare[] } | undefined> {
    return this.file.current(byHash);
  }
}

function byHash(file: ShareFile): { byHash: Map<string, StoredShare>; all: StoredShare[] } {
  return { byHash: new Map(file.shares.map((s) => [s.hash, s])), all: file.shares };
}

/** `30m`, `12h`, `7d`, `2w` → milliseconds. */
export function parseExpiry(text: string): number {
  const m = /^(\d{1,6})\s*([mhdw])$/.exec(text.trim());
  if (!m) throw new ShareError(`invalid expiry "${text}": use a number and m, h, d or w (e.g. 7d)`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new ShareError(`invalid expiry "${text}": it must be more than zero`);
  return ms;
}
