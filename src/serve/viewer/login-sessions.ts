import { createHash, randomBytes } from 'node:crypto';

/**
 * Browser logins: a random token in an HTTP-only cookie maps to the owner its API key
 * verified as, and to that key's id (so revoking the key can end the login). The key itself
 * is never kept or sent back. Tokens are held only as SHA-256
 * hashes, expire after a fixed lifetime, and the map is bounded (the oldest login goes).
 */

export interface LoginSessionsOptions {
  ttlMs: number;
  maxSessions: number;
  now: () => number;
}

export interface Login {
  owner: string;
  /** The API key logged in with, when the key check names one. */
  keyId?: string;
  expiresAt: number;
}

export class LoginSessions {
  private readonly byHash = new Map<string, Login>();

  constructor(private readonly opts: LoginSessionsOptions) {}

  create(owner: string, keyId?: string): { token: string; expiresAt: number } {
    this.sweep();
    while (this.byHash.size >= this.opts.maxSessions) {
      const oldest = this.byHash.keys().next().value;
      if (oldest === undefined) break;
      this.byHash.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.opts.now() + this.opts.ttlMs;
    this.byHash.set(hash(token), { owner, expiresAt, ...(keyId === undefined ? {} : { keyId }) });
    return { token, expiresAt };
  }

  /** The login a live token belongs to; undefined for unknown or expired tokens. */
  get(token: string | undefined): Login | undefined {
    if (!token || token.length > 256) return undefined;
    const h = hash(token);
    const login = this.byHash.get(h);
    if (!login) return undefined;
    if (login.expiresAt <= this.opts.now()) {
      this.byHash.delete(h);
      return undefined;
    }
    return login;
  }

  /** The owner a live token belongs to; undefined for unknown or expired tokens. */
  owner(token: string | undefined): string | undefined {
    return this.get(token)?.owner;
  }

  revoke(token: string | undefined): void {
    if (token) this.byHash.delete(hash(token));
  }

  get size(): number {
    return this.byHash.size;
  }

  private sweep(): void {
    const now = this.opts.now();
    for (const [h, login] of this.byHash) if (login.expiresAt <= now) this.byHash.delete(h);
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
