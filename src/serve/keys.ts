import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LOCAL_OWNER } from '../backend/local.js';
import { ensurePrivateDir } from '../fs/private-files.js';
import { SharedJsonFile } from '../fs/shared-json-file.js';
import { storeDir } from '../paths.js';

/**
 * API keys of a `confab serve` host. Only SHA-256 hashes are stored (in `keys.json`, 0600,
 * inside the store dir), as confab-web does; the plaintext key is returned once by
 * create() and written nowhere. A key belongs to a user: keys of one user see the same
 * sessions. The default user is the embedded store's own owner, so a key made on a machine
 * sees the sessions that machine's agents synced into this store; keys for other people or
 * machines name their own user.
 */

/** `active`; or a fixture status that makes the key refused with confab-web's 403s. */
export type KeyStatus = 'active' | 'deactivated' | 'domain_restricted';
const STATUSES: readonly KeyStatus[] = ['active', 'deactivated', 'domain_restricted'];

export const API_KEY_PATTERN = /^cfb_[A-Za-z0-9_-]{40}$/;

export interface ApiKeyInfo {
  id: string;
  name: string;
  user: string;
  /** A stable number per user, for `/auth/validate`'s `user_id`. */
  user_id: number;
  status: KeyStatus;
  created_at: string;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The key itself: shown once, never stored. */
  key: string;
}

export interface VerifiedKey {
  owner: string;
  status: KeyStatus;
  user_id: number;
  key_id: string;
  name: string;
}

interface StoredKey extends ApiKeyInfo {
  hash: string;
}

interface KeyFile {
  format: 1;
  keys: StoredKey[];
}

export class KeyRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRingError';
  }
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** `cfb_` + the first 40 characters of the URL-safe base64 of 32 random bytes (confab-web's format). */
export function generateApiKey(): string {
  return `cfb_${randomBytes(32).toString('base64url').slice(0, 40)}`;
}

function isStoredKey(v: unknown): v is StoredKey {
  const k = v as StoredKey;
  return (
    !!k &&
    typeof k.id === 'string' &&
    typeof k.name === 'string' &&
    typeof k.user === 'string' &&
    typeof k.user_id === 'number' &&
    typeof k.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(k.hash) &&
    STATUSES.includes(k.status) &&
    typeof k.created_at === 'string'
  );
}

const publicInfo = ({ hash: _hash, ...info }: StoredKey): ApiKeyInfo => info;

export class KeyRing {
  readonly path: string;
  private readonly file: SharedJsonFile<KeyFile>;

  constructor(path: string) {
    this.path = path;
    this.file = new SharedJsonFile<KeyFile>(path, {
      empty: () => ({ format: 1, keys: [] }),
      valid: (v): v is KeyFile => {
        const f = v as Partial<KeyFile> | null;
        return !!f && f.format === 1 && Array.isArray(f.keys) && f.keys.every(isStoredKey);
      },
      invalid: (p) => new KeyRingError(`${p} is not a valid key file`),
    });
  }

  /** The key ring of the store in `dir`. */
  static async open(dir: string = storeDir()): Promise<KeyRing> {
    await ensurePrivateDir(dir);
    return new KeyRing(join(dir, 'keys.json'));
  }

  private update<T>(fn: (file: KeyFile) => T): Promise<T> {
    return this.file.update(fn);
  }

  private find(file: KeyFile, idOrName: string): StoredKey {
    const byId = file.keys.find((k) => k.id === idOrName);
    if (byId) return byId;
    const byName = file.keys.filter((k) => k.name === idOrName);
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) throw new KeyRingError(`${byName.length} keys are named "${idOrName}"; use the key id`);
    throw new KeyRingError(`no API key with id or name "${idOrName}"`);
  }

  /** A new key for `user` (default: the local store's owner). Names are unique per user. */
  async create(name: string, opts: { user?: string; status?: KeyStatus } = {}): Promise<CreatedApiKey> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 255) throw new KeyRingError('a key name of 1 to 255 characters is required');
    const user = (opts.user ?? LOCAL_OWNER).trim();
    if (!user || user.length > 255) throw new KeyRingError('a user name of 1 to 255 characters is required');
    const status = opts.status ?? 'active';
    if (!STATUSES.includes(status)) throw new KeyRingError(`unknown key status "${String(status)}"`);
    const key = generateApiKey();
    const info = await this.update((file) => {
      if (file.keys.some((k) => k.user === user && k.name === trimmed)) {
        throw new KeyRingError(`user "${user}" already has a key named "${trimmed}"`);
      }
      const sameUser = file.keys.find((k) => k.user === user);
      const stored: StoredKey = {
        id: randomBytes(6).toString('hex'),
        name: trimmed,
        user,
        user_id: sameUser?.user_id ?? file.keys.reduce((max, k) => Math.max(max, k.user_id), 0) + 1,
        status,
        created_at: new Date().toISOString(),
        hash: hashApiKey(key),
      };
      file.keys.push(stored);
      return publicInfo(stored);
    });
    return { ...info, key };
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await this.file.read()).keys.map(publicInfo);
  }

  /** Delete a key (by id, or by name when unique). */
  async revoke(idOrName: string): Promise<ApiKeyInfo> {
    return this.update((file) => {
      const k = this.find(file, idOrName);
      file.keys = file.keys.filter((other) => other !== k);
      return publicInfo(k);
    });
  }

  /** Change a key's status (deactivated / domain-restricted fixtures, or reactivation). */
  async setStatus(idOrName: string, status: KeyStatus): Promise<ApiKeyInfo> {
    if (!STATUSES.includes(status)) throw new KeyRingError(`unknown key status "${String(status)}"`);
    return this.update((file) => {
      const k = this.find(file, idOrName);
      k.status = status;
      return publicInfo(k);
    });
  }

  /**
   * The key's user and status, or undefined for an unknown or malformed key. The file is
   * re-read when it changes, so keys created or revoked by another process apply at once.
   */
  async verify(key: string): Promise<VerifiedKey | undefined> {
    if (!API_KEY_PATTERN.test(key)) return undefined;
    const k = (await this.current())?.byHash.get(hashApiKey(key));
    return k && { owner: k.user, status: k.status, user_id: k.user_id, key_id: k.id, name: k.name };
  }

  /** Whether the key with this id exists and is active (read as verify() reads). */
  async isActive(keyId: string): Promise<boolean> {
    return (await this.current())?.byId.get(keyId)?.status === 'active';
  }

  /** The keys as the file holds them now (re-read when it changed); undefined: no file. */
  private current(): Promise<{ byHash: Map<string, StoredKey>; byId: Map<string, StoredKey> } | undefined> {
    return this.file.current(byHashAndId);
  }
}

function byHashAndId(file: KeyFile): { byHash: Map<string, StoredKey>; byId: Map<string, StoredKey> } {
  return { byHash: new Map(file.keys.map((k) => [k.hash, k])), byId: new Map(file.keys.map((k) => [k.id, k])) };
}
