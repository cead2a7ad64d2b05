export type Rand = () => number;
export interface FakeSecret {
  /** Which generator made it, e.g. `github-classic-pat`. */
  kind: string;
  /** The marker type the built-ins give it when it appears alone (e.g. `GITHUB_TOKEN`). */
  type: string;
  /** The part that must not survive redaction. */
  secret: string;
  /** How it appears in practice: the token alone, a config line, a header, a URL… */
  text: string;
}
export function rng(seed: number): Rand;
export const ALNUM: string;
export const B64URL: string;
export const B64: string;
export const HEX: string;
export function chars(rand: Rand, alphabet: string, n: number): string;
export function crc32(text: string): number;
export function checksumOk(token: string): boolean;
export const SECRET_KINDS: readonly { kind: string; type: string; make(rand: Rand): { secret: string; text: string } }[];
export function fakeSecrets(seed?: number, perKind?: number): FakeSecret[];
