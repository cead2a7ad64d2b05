// Fake secrets in the exact formats real ones have (prefixes, lengths, alphabets, and the
// checksums GitHub and npm tokens carry), generated from a seed. None is a live credential:
// every one is random, made at run time, and never written to the repository.
import { createHmac, generateKeyPairSync } from 'node:crypto';

/** Small deterministic PRNG (mulberry32), so corpora are the same on every run. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const B64URL = `${ALNUM}_-`;
export const B64 = `${ALNUM}+/`;
export const HEX = '0123456789abcdef';
const UPPER_B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function chars(rand, alphabet, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(text) {
  let c = 0xffffffff;
  for (const b of Buffer.from(text)) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function base62(n, width) {
  let s = '';
  do {
    s = ALNUM[n % 62] + s;
    n = Math.floor(n / 62);
  } while (n > 0);
  return s.padStart(width, '0');
}

/** GitHub's and npm's token format: prefix + 30 random base62 + base62(CRC32(random)) in 6. */
function checksummed(rand, prefix) {
  const body = chars(rand, ALNUM, 30);
  return `${prefix}${body}${base62(crc32(body), 6)}`;
}

/** True when a GitHub/npm-format token's checksum is right (used by the tests of this generator). */
export function checksumOk(token) {
  const body = token.slice(token.indexOf('_') + 1);
  return base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}

const b64url = (buf) => buf.toString('base64url');

function jwt(rand) {
  const header = b64url(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));
  const payload = b64url(
    Buffer.from(JSON.stringify({ sub: chars(rand, HEX, 12), name: 'Jane Doe', iat: 1700000000 + Math.floor(rand() * 1e6), scope: 'read write' })),
  );
  const sig = b64url(createHmac('sha256', chars(rand, ALNUM, 32)).update(`${header}.${payload}`).digest());
  return `${header}.${payload}.${sig}`;
}

let pemCache;
let pemTurn = 0;
/** Freshly generated private keys in the PEM flavours seen in the wild (generated once per process). */
function pemKeys() {
  pemCache ??= [
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }),
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }),
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }),
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
  ].map(String);
  return pemCache;
}

function opensshKey(rand) {
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), Buffer.from(chars(rand, B64, 300))]).toString('base64');
  const lines = body.match(/.{1,70}/g).join('\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** The first base64 line of a PEM body: what must never survive redaction. */
function pemBodyLine(pem) {
  return pem.split('\n').find((l) => l.length >= 40 && !l.startsWith('-----') && !l.includes(':'));
}

/**
 * Each generator returns `{ secret, text }`: `text` is how the secret naturally appears (a
 * token alone, a config line, a header, a URL), `secret` the part that must not survive.
 * `type` is the marker type the built-ins give it when it appears as `text` alone.
 */
export const SECRET_KINDS = [
  { kind: 'anthropic-api-key', type: 'API_KEY', make: (r) => one(`sk-ant-api03-${chars(r, B64URL, 93)}AA`) },
  { kind: 'anthropic-oauth-token', type: 'API_KEY', make: (r) => one(`sk-ant-oat01-${chars(r, B64URL, 95)}`) },
  { kind: 'openai-project-key', type: 'API_KEY', make: (r) => one(`sk-proj-${chars(r, B64URL, 74)}T3BlbkFJ${chars(r, B64URL, 74)}`) },
  { kind: 'openai-legacy-key', type: 'API_KEY', make: (r) => one(`sk-${chars(r, ALNUM, 20)}T3BlbkFJ${chars(r, ALNUM, 20)}`) },
  { kind: 'aws-access-key', type: 'AWS_KEY', make: (r) => one(`${r() < 0.5 ? 'AKIA' : 'ASIA'}${chars(r, UPPER_B32, 16)}`) },
  {
    kind: 'aws-secret-key',
    type: 'AWS_SECRET',
    make: (r) => {
      const s = chars(r, B64, 40);
      const forms = [`aws_secret_access_key = ${s}`, `AWS_SECRET_ACCESS_KEY="${s}"`, `"SecretAccessKey": "${s}"`];
      return { secret: s, text: forms[Math.floor(r() * forms.length)] };
    },
  },
  { kind: 'github-classic-pat', type: 'GITHUB_TOKEN', make: (r) => one(checksummed(r, 'ghp_')) },
  { kind: 'github-oauth-token', type: 'GITHUB_TOKEN', make: (r) => one(checksummed(r, 'gho_')) },
  { kind: 'github-app-token', type: 'GITHUB_TOKEN', make: (r) => one(checksummed(r, r() < 0.5 ? 'ghs_' : 'ghu_')) },
  { kind: 'github-fine-grained-pat', type: 'GITHUB_TOKEN', make: (r) => one(`github_pat_${chars(r, ALNUM, 22)}_${chars(r, ALNUM, 59)}`) },
  { kind: 'gitlab-pat', type: 'GITLAB_TOKEN', make: (r) => one(`glpat-${chars(r, B64URL, 20)}`) },
  { kind: 'jwt', type: 'JWT', make: (r) => one(jwt(r)) },
  {
    kind: 'bearer-token',
    type: 'BEARER_TOKEN',
    make: (r) => {
      const t = chars(r, `${ALNUM}._~`, 48);
      return { secret: t, text: `Authorization: Bearer ${t}` };
    },
  },
  {
    kind: 'basic-auth-header',
    type: 'BASIC_AUTH',
    make: (r) => {
      const t = Buffer.from(`deploy:${chars(r, ALNUM, 16)}`).toString('base64');
      return { secret: t, text: `Authorization: Basic ${t}` };
    },
  },
  {
    kind: 'curl-user',
    type: 'BASIC_AUTH',
    make: (r) => {
      const p = chars(r, ALNUM, 14);
      return { secret: p, text: `curl -s -u admin:${p} https://ci.example.com/api/json` };
    },
  },
  {
    kind: 'pem-private-key',
    type: 'PRIVATE_KEY',
    // Cycles through RSA (PKCS#1), EC (SEC1), Ed25519 (PKCS#8), encrypted PKCS#8, RSA PKCS#8.
    make: () => {
      const pem = pemKeys()[pemTurn++ % 5];
      return { secret: pemBodyLine(pem), text: pem };
    },
  },
  {
    kind: 'openssh-private-key',
    type: 'PRIVATE_KEY',
    make: (r) => {
      const pem = opensshKey(r);
      return { secret: pemBodyLine(pem), text: pem };
    },
  },
  ...['postgres', 'postgresql', 'mysql', 'mongodb+srv', 'redis', 'amqp'].map((scheme) => ({
    kind: `${scheme}-url-password`,
    type: 'PASSWORD',
    make: (r) => {
      const p = chars(r, `${ALNUM}!*_~.`, 18);
      const user = scheme === 'redis' ? '' : 'app_user';
      return { secret: p, text: `${scheme}://${user}:${p}@db-${chars(r, HEX, 6)}.internal.example.com:5432/prod` };
    },
  })),
  {
    kind: 'mysql-dsn-password',
    type: 'PASSWORD',
    make: (r) => {
      const p = chars(r, ALNUM, 16);
      return { secret: p, text: `root:${p}@tcp(127.0.0.1:3306)/app?parseTime=true` };
    },
  },
  { kind: 'slack-bot-token', type: 'SLACK_TOKEN', make: (r) => one(`xoxb-${chars(r, '0123456789', 12)}-${chars(r, '0123456789', 13)}-${chars(r, ALNUM, 24)}`) },
  { kind: 'slack-user-token', type: 'SLACK_TOKEN', make: (r) => one(`xoxp-${chars(r, '0123456789', 12)}-${chars(r, '0123456789', 12)}-${chars(r, '0123456789', 13)}-${chars(r, HEX, 32)}`) },
  { kind: 'slack-app-token', type: 'SLACK_TOKEN', make: (r) => one(`xapp-1-A${chars(r, '0123456789ABCDEFGHJK', 10)}-${chars(r, '0123456789', 13)}-${chars(r, HEX, 64)}`) },
  { kind: 'slack-webhook', type: 'SLACK_WEBHOOK', make: (r) => one(`https://hooks.slack.com/services/T${chars(r, ALNUM, 8)}/B${chars(r, ALNUM, 8)}/${chars(r, ALNUM, 24)}`) },
  { kind: 'stripe-secret-key', type: 'STRIPE_KEY', make: (r) => one(`sk_${r() < 0.5 ? 'live' : 'test'}_${chars(r, ALNUM, 99)}`) },
  { kind: 'stripe-restricted-key', type: 'STRIPE_KEY', make: (r) => one(`rk_live_${chars(r, ALNUM, 24)}`) },
  { kind: 'google-api-key', type: 'GOOGLE_API_KEY', make: (r) => one(`AIza${chars(r, B64URL, 35)}`) },
  { kind: 'google-oauth-secret', type: 'GOOGLE_OAUTH', make: (r) => one(`GOCSPX-${chars(r, B64URL, 28)}`) },
  { kind: 'twilio-api-key', type: 'TWILIO_KEY', make: (r) => one(`SK${chars(r, HEX, 32)}`) },
  { kind: 'sendgrid-api-key', type: 'SENDGRID_KEY', make: (r) => one(`SG.${chars(r, B64URL, 22)}.${chars(r, B64URL, 43)}`) },
  { kind: 'mailchimp-api-key', type: 'MAILCHIMP_KEY', make: (r) => one(`${chars(r, HEX, 32)}-us${1 + Math.floor(r() * 20)}`) },
  { kind: 'npm-token', type: 'NPM_TOKEN', make: (r) => one(checksummed(r, 'npm_')) },
  {
    kind: 'npmrc-auth-token',
    type: 'NPM_TOKEN',
    make: (r) => {
      const t = `${chars(r, HEX, 8)}-${chars(r, HEX, 4)}-${chars(r, HEX, 4)}-${chars(r, HEX, 4)}-${chars(r, HEX, 12)}`;
      return { secret: t, text: `//registry.npmjs.org/:_authToken=${t}` };
    },
  },
  { kind: 'pypi-token', type: 'PYPI_TOKEN', make: (r) => one(`pypi-AgEIcHlwaS5vcmc${chars(r, B64URL, 140)}`) },
  { kind: 'confab-key', type: 'CONFAB_KEY', make: (r) => one(`cfb_${chars(r, B64URL, 40)}`) },
  { kind: 'huggingface-token', type: 'HUGGINGFACE_TOKEN', make: (r) => one(`hf_${chars(r, ALNUM.slice(0, 52), 34)}`) },
  { kind: 'digitalocean-token', type: 'DIGITALOCEAN_TOKEN', make: (r) => one(`dop_v1_${chars(r, HEX, 64)}`) },
  { kind: 'vault-token', type: 'VAULT_TOKEN', make: (r) => one(`hvs.${chars(r, B64URL, 95)}`) },
  { kind: 'databricks-token', type: 'DATABRICKS_TOKEN', make: (r) => one(`dapi${chars(r, HEX, 32)}`) },
  { kind: 'age-secret-key', type: 'PRIVATE_KEY', make: (r) => one(`AGE-SECRET-KEY-1${chars(r, 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)}`) },
  {
    kind: 'env-secret',
    type: 'SECRET',
    make: (r) => {
      const v = chars(r, `${ALNUM}_-.`, 24);
      const names = ['DB_PASSWORD', 'SECRET_KEY_BASE', 'SESSION_SECRET', 'INTERNAL_API_KEY', 'WEBHOOK_TOKEN', 'SMTP_PASSWD'];
      return { secret: v, text: `${names[Math.floor(r() * names.length)]}=${v}` };
    },
  },
  {
    kind: 'quoted-secret-in-file',
    type: 'SENSITIVE_FIELD',
    make: (r) => {
      const v = chars(r, `${ALNUM}!#%&*-_`, 20);
      const forms = [`"client_secret": "${v}"`, `password: '${v}'`, `apiKey = "${v}"`, `"db_password" : "${v}"`];
      return { secret: v, text: forms[Math.floor(r() * forms.length)] };
    },
  },
  {
    kind: 'url-query-signature',
    type: 'URL_SECRET',
    make: (r) => {
      const v = `${chars(r, ALNUM, 30)}%2B${chars(r, ALNUM, 12)}%3D`;
      return { secret: v, text: `https://acct.blob.core.windows.net/backups/db.tar?sv=2022-11-02&se=2030-01-01&sr=b&sp=r&sig=${v}` };
    },
  },
];

function one(token) {
  return { secret: token, text: token };
}

/** `perKind` fakes of every kind: `{ kind, type, secret, text }`. */
export function fakeSecrets(seed = 1, perKind = 5) {
  const rand = rng(seed);
  const out = [];
  for (const k of SECRET_KINDS) for (let i = 0; i < perKind; i++) out.push({ kind: k.kind, type: k.type, ...k.make(rand) });
  return out;
}
