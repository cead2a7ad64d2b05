import { describe, expect, it } from 'vitest';
import { ordinaryLines } from '../../bench/lib/transcript.mjs';
import { createRedactor, type Redactor } from '../../src/redact/index.js';

/**
 * Ordinary transcript content must come through untouched. docs/redaction.md lists what the
 * built-ins still change in such text (and why); this test keeps that list honest.
 */
const DOCUMENTED_FALSE_POSITIVES: readonly string[] = [];

/** Text that looks a little like secrets but is not. Each must come through unchanged. */
const LOOKALIKES = [
  // identifiers, hashes, ids
  'commit 3f9a1c2b4d5e6f708192a3b4c5d6e7f809a1b2c3 (HEAD -> main, origin/main)',
  'sha256:9b2e0c1e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2',
  '0b4c7f5e-1f0e-4a7e-9a39-3f2a1c0d9e11 and 123e4567-e89b-12d3-a456-426614174000',
  'createSessionTokenRefreshHandlerForAuthenticatedUsers(getSecretAccessKeyFromEnvironmentOrThrow())',
  'SK_MAX_RETRIES_BEFORE_GIVING_UP = 5; AWS_SDK_LOAD_CONFIG=1',
  'pip install scikit-learn; import sklearn; task-runner-for-background-jobs-v2-2024; disk-usage-monitor-2025',
  '<div class="sk-folding-cube-animation-container sk-circle-bounce-delay-animation">',
  'msg_01AbCdEfGhIjKlMnOpQrStUv req_011CTq8RzE1xYv2Wn9Lk3JpH toolu_01XyZaBcDeFgHiJkLmNoPqRs',
  // encodings
  '"integrity": "sha512-kD3fHvL9rZ0Wq1bYk7p5vT8xN2mC4sJ6gA0eR3uI9oP1lK7jH5fG3dS1aQ9wE7rT5yU3iO1pA9sD7fG5hJ3kL1zX=="',
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'eyJhbGciOiJIUzI1NiJ9 is just a JWT header; so is eyJ0eXAiOiJKV1QifQ',
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl dev@laptop',
  '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----',
  '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----',
  'A PKCS#8 key starts with -----BEGIN PRIVATE KEY----- and ends with -----END PRIVATE KEY-----.',
  "if (pem.startsWith('-----BEGIN RSA PRIVATE KEY-----')) return 'pkcs1';",
  // URLs and addresses without credentials
  'https://github.com/acme/acme-api/pull/123 http://localhost:3000/api/v1/users?page=2&limit=50&sort=created_at',
  'http://localhost:3000/api@v2 https://cdn.example.com/assets/logo@2x.png?v=1a2b3c4d http://[::1]:8080/healthz',
  'ssh://git@github.com/acme/repo.git git@github.com:acme/repo.git mailto:first.last@example.com @types/node@20.19.0',
  'postgres://localhost:5432/acme_dev redis://cache:6379/0 https://user@example.com/path',
  'https://api.example.com/search?q=token+refresh&page_token=&sort=signature',
  // CSS, numbers
  '.btn-primary { color: #1a2b3c; background: rgba(12, 34, 56, 0.5); border-color: #abc; }',
  // code and config that mentions secrets without holding any
  'const password = req.body.password; if (password === "") throw new Error("empty");',
  'const API_KEY = process.env.API_KEY; headers["X-Api-Key"] = apiKey; token_type: "Bearer"',
  'fetch(url, { headers: { Authorization: `Bearer ${token}` } })',
  'curl -sSL -H "Authorization: Bearer $API_TOKEN" https://api.example.com/v1/me | jq .',
  'curl -fsSL https://example.com/install.sh | sh && git push -u origin main && docker run -u 1000:1000 app',
  'SECRET_KEY = os.environ["SECRET_KEY"]',
  'password: ${DB_PASSWORD}\ntoken: ${{ secrets.GITHUB_TOKEN }}\npassword: "${DB_PASSWORD}"',
  'GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}\nNPM_TOKEN=$NPM_TOKEN\nSESSION_SECRET=\nSECRET_KEY_BASE=$(openssl rand -hex 64)',
  'MAX_TOKENS=4096\nTOKEN_EXPIRY_SECONDS=3600\nTOKEN_URL=https://oauth2.googleapis.com/token\nSECRET_FILE=/run/secrets/app',
  'API_KEY=your_api_key_here\nDB_PASSWORD=<your-password>\npassword: "********"',
  '{ "password": { "type": "string", "minLength": 8 }, "token": "string" }',
  '"max_tokens": 4096, "input_tokens": 12, "cache_read_input_tokens": 40960',
  '<meta name="csrf-token" content="4f8a2c1e">',
  'The Bearer authentication scheme sends a token in the Authorization header.',
];

describe('false positives', () => {
  it('leaves the generated ordinary transcript unchanged except for the documented cases', () => {
    const redactor = createRedactor({}) as Redactor;
    const lines = ordinaryLines(11, 1400);
    const changed: string[] = [];
    for (const line of lines) {
      const out = redactor.redactLine(line);
      if (out === line) continue;
      for (const m of out.matchAll(/.{0,40}\[REDACTED:[A-Z_]+\]/g)) changed.push(m[0]);
    }
    expect(lines.length).toBe(1400);
    expect(changed).toEqual(DOCUMENTED_FALSE_POSITIVES);
  });

  it.each(LOOKALIKES)('leaves lookalike text unchanged: %s', (text) => {
    const redactor = createRedactor({}) as Redactor;
    expect(redactor.redactText(text)).toBe(text);
    const line = JSON.stringify({ type: 'user', toolUseResult: { stdout: text } });
    expect(redactor.redactLine(line)).toBe(line);
    expect(Object.fromEntries(redactor.stats)).toEqual({});
  });
});
