import type { RedactionPatternSpec } from './types.js';

/**
 * One way a rule's match shows in the raw text: a literal (case-sensitive unless `anyCase`),
 * then `then` (a regex source) right after it. Any text a rule can match must contain one of
 * its gate parts — also in JSON-escaped form, which is why a part that expects whitespace
 * also accepts `\n`, `\t`… and never requires a quote or backslash unescaped. Texts in which
 * no part of any rule shows are passed through untouched without being parsed, which is
 * what keeps redaction cheap.
 */
export interface GatePart {
  readonly literal: string;
  readonly anyCase?: boolean;
  readonly then?: string;
  /** A character class the character before the literal must not be in (the rule's lookbehind). */
  readonly notAfter?: string;
}

/**
 * What a built-in knows beyond its spec: its `gate`, and `accept`, a post-filter on the text
 * a match would replace (false: leave it).
 *
 * Every regex here must stay linear on a backtracking engine: each quantified run either has
 * nothing after it (a failing attempt then costs at most its minimum length), or is bounded,
 * or is stopped by a character the run cannot contain; starts inside a run of token
 * characters are cut off with a lookbehind. `test/redact/builtin-linear.test.ts` runs every
 * rule on adversarial inputs to hold this.
 */
export interface BuiltinPattern extends RedactionPatternSpec {
  readonly pattern?: RegExp;
  readonly fieldPattern?: RegExp;
  readonly gate: readonly GatePart[];
  readonly accept?: (target: string) => boolean;
}

const lit = (...words: string[]): GatePart[] => words.map((literal) => ({ literal }));
const followedBy = (then: string, ...words: string[]): GatePart[] => words.map((literal) => ({ literal, then }));
const anyCase = (then: string | undefined, ...words: string[]): GatePart[] => words.map((literal) => ({ literal, anyCase: true, then }));
/** Whitespace as it may appear in a JSON-escaped line. */
const WS = '(?:\\s|\\\\[nrtf])';
/** `key: `, `"key": "`, `key = '`, `KEY=` as they may appear escaped. */
const ASSIGN = `\\\\?["']?${WS}*[:=]${WS}*`;

/** Keys are random: they mix digits, upper and lower case. Kebab-case names do not. */
const mixedCase = (s: string) => /[0-9]/.test(s) && /[A-Z]/.test(s) && /[a-z]/.test(s);
/**
 * Template placeholders, shell expansions and documentation stand-ins are not secrets:
 * `${TOKEN}`, `{{ secret }}`, `$(cat f)`, `<your-token>`, `YOUR_API_KEY`.
 */
const notPlaceholder = (s: string) => !/^(?:\$|\{\{|<[^>]*>?$|%[A-Za-z_]+%$|your[_-])/i.test(s);
/** For `NAME=value` and `key: "value"` rules: also not a number, a type name, a URL or a path. */
const notTrivialValue = (s: string) =>
  notPlaceholder(s) &&
  !/^(?:[0-9]+|true|false|null|none|undefined|nil|changeme|string|number|boolean|str|int|bool|any|object|x+|\*+|\.+)$/i.test(s) &&
  !/^(?:[a-z][a-z0-9+.-]*:\/\/[^@]*$|\.{0,2}\/|~\/)/i.test(s);

/** Key names whose string values are secrets, wherever they appear in a JSON line. */
const SENSITIVE_FIELD =
  /^(?:password|passwd|secret|client_?secret|secret_?key|api_?key|api_?secret|api_?token|x-api-key|token|auth_?token|access_?token|refresh_?token|id_?token|session_?token|bearer_?token|private_?key|credentials?|aws_secret_access_key|secret_?access_?key|authorization)$/i;

/** Words that name a secret in key names and assignments. */
const SECRET_WORDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'api_key',
  'api-key',
  'secretkey',
  'secret_key',
  'accesskey',
  'access_key',
  'privatekey',
  'private_key',
  'credential',
  'credentials',
];

export const BUILTIN_PATTERNS: readonly BuiltinPattern[] = [
  {
    name: 'Sensitive Field Names',
    type: 'sensitive_field',
    fieldPattern: SENSITIVE_FIELD,
    gate: anyCase('"\\s*:', ...SECRET_WORDS, 'authorization'),
    accept: notPlaceholder,
  },

  // Private keys first: their bodies are long base64 that other rules must not nibble at.
  {
    name: 'Private Key (PEM block)',
    type: 'private_key',
    // The body cannot contain "-----", so a search from one BEGIN stops at the next marker.
    pattern:
      /-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----(?:[^-]|-{1,4}[^-])*-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----/,
    gate: followedBy('[A-Z0-9 ]{0,40} PRIVATE KEY', '-----BEGIN'),
    // Prose that names both markers is not a key: a key body has long base64 runs.
    accept: (block) => /[A-Za-z0-9+/=]{40}/.test(block),
  },
  {
    name: 'Private Key (truncated PEM)',
    type: 'private_key',
    // A key cut short (`head key.pem`, a truncated tool output): header, optional
    // `Proc-Type:`-style lines, at least 40 base64 characters, then whole base64 lines —
    // separated by newlines, escaped newlines, or the line numbers of a Read result.
    pattern:
      /-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----(?:\s|\\+[nrt]|[0-9]{1,7}(?:→|\s|\\+t))*(?:[A-Za-z-]{1,20}:[^\n\\]{0,200}(?:\s|\\+[nrt]|[0-9]{1,7}(?:→|\s|\\+t))*){0,3}[A-Za-z0-9+/=]{40,}(?:(?:\s|\\+[nrt]|[0-9]{1,7}(?:→|\s|\\+t))+[A-Za-z0-9+/=]{16,})*/,
    gate: followedBy('[A-Z0-9 ]{0,40} PRIVATE KEY', '-----BEGIN'),
  },

  // Provider keys with a distinctive prefix (the Go CLI's set, then gitleaks' prefix rules).
  {
    name: 'Anthropic API Key',
    type: 'api_key',
    // api03 keys, admin keys, and Claude Code's OAuth access/refresh tokens (oat01/ort01).
    pattern: /sk-ant-[a-z]{2,8}\d{2}-[A-Za-z0-9_-]{32,}/,
    gate: lit('sk-ant-'),
  },
  {
    name: 'OpenAI API Key',
    type: 'api_key',
    pattern: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/,
    gate: [{ literal: 'sk-', then: '(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20}', notAfter: '[A-Za-z0-9_-]' }],
    // Kebab-case names that start with "sk-" (CSS classes, slugs) are not mixed-case.
    accept: mixedCase,
  },
  {
    name: 'AWS Access Key',
    type: 'aws_key',
    pattern: /(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/,
    gate: [...followedBy('[A-Z0-9]{16}', 'AKIA', 'ASIA', 'ABIA', 'ACCA'), ...followedBy('[A-Z0-9]{17}', 'A3T')],
  },
  {
    name: 'AWS Secret Key',
    type: 'aws_secret',
    // aws_secret_access_key = … (credentials file), AWS_SECRET_ACCESS_KEY=… (env),
    // "SecretAccessKey": "…" (aws sts / iam JSON output).
    pattern: /secret_?access_?key\\?["']?\s*[:=]\s*\\?["']?([A-Za-z0-9/+=]{40,})/i,
    captureGroup: 1,
    gate: anyCase(`${ASSIGN}\\\\?["']?[A-Za-z0-9/+=]{40}`, 'accesskey', 'access_key'),
  },
  {
    name: 'AWS Session Token',
    type: 'aws_session_token',
    pattern: /session_?token\\?["']?\s*[:=]\s*\\?["']?([A-Za-z0-9/+=]{100,})/i,
    captureGroup: 1,
    gate: anyCase(`${ASSIGN}\\\\?["']?[A-Za-z0-9/+=]{100}`, 'sessiontoken', 'session_token'),
  },
  {
    name: 'GitHub Token',
    type: 'github_token',
    // Classic PAT (ghp_), OAuth (gho_), user-to-server (ghu_), server-to-server (ghs_), refresh (ghr_).
    pattern: /gh[pousr]_[A-Za-z0-9]{36,}/,
    gate: lit('ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'),
  },
  {
    name: 'GitHub Fine-Grained PAT',
    type: 'github_token',
    // The Go CLI's class lacked `_`, so it redacted only the part before the second underscore.
    pattern: /github_pat_[A-Za-z0-9_]{22,}/,
    gate: lit('github_pat_'),
  },
  {
    name: 'GitLab Token',
    type: 'gitlab_token',
    pattern: /(?<![A-Za-z0-9_])(?:gl(?:pat|dt|rt|cbt|ft|imt|agent|oas|soat|ffct|ptt)-|GR1348941)[A-Za-z0-9_.-]{20,}/,
    gate: lit('glpat-', 'gldt-', 'glrt-', 'glcbt-', 'glft-', 'glimt-', 'glagent-', 'gloas-', 'glsoat-', 'glffct-', 'glptt-', 'GR1348941'),
  },
  {
    name: 'Slack Token',
    type: 'slack_token',
    pattern: /xox[baprs]-[0-9A-Za-z-]{10,}|xoxe(?:\.xox[a-z])?-[0-9A-Za-z-]{10,}|xapp-[0-9A-Za-z-]{10,}/,
    gate: lit('xoxa-', 'xoxb-', 'xoxp-', 'xoxr-', 'xoxs-', 'xoxe', 'xapp-'),
  },
  {
    name: 'Slack Webhook URL',
    type: 'slack_webhook',
    pattern: /hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/_-]{20,}/,
    gate: lit('hooks.slack.com/'),
  },
  {
    name: 'Discord Webhook URL',
    type: 'discord_webhook',
    pattern: /discord(?:app)?\.com\/api\/webhooks\/[0-9]{5,30}\/[A-Za-z0-9_-]{40,}/,
    gate: lit('discord.com/api/webhooks/', 'discordapp.com/api/webhooks/'),
  },
  {
    name: 'Stripe Key',
    type: 'stripe_key',
    pattern: /(?<![A-Za-z0-9_])(?:[rs]k_(?:live|test|prod)_[0-9A-Za-z]{24,}|whsec_[A-Za-z0-9]{32,})/,
    gate: lit('sk_live_', 'sk_test_', 'sk_prod_', 'rk_live_', 'rk_test_', 'rk_prod_', 'whsec_'),
  },
  {
    name: 'Google API Key',
    type: 'google_api_key',
    pattern: /AIza[0-9A-Za-z_-]{35}/,
    gate: lit('AIza'),
  },
  {
    name: 'Google OAuth Secret or Token',
    type: 'google_oauth',
    pattern: /GOCSPX-[A-Za-z0-9_-]{28}|(?<![A-Za-z0-9])ya29\.[0-9A-Za-z_-]{20,}/,
    gate: lit('GOCSPX-', 'ya29.'),
  },
  {
    name: 'Twilio API Key',
    type: 'twilio_key',
    pattern: /(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}\b/,
    gate: followedBy('[0-9a-fA-F]{32}', 'SK'),
  },
  {
    name: 'SendGrid API Key',
    type: 'sendgrid_key',
    pattern: /SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/,
    gate: lit('SG.'),
  },
  {
    name: 'MailChimp API Key',
    type: 'mailchimp_key',
    pattern: /(?<![0-9a-f])[0-9a-f]{32}-us[0-9]{1,2}\b/,
    gate: followedBy('[0-9]', '-us'),
  },
  {
    name: 'npm Access Token',
    type: 'npm_token',
    pattern: /npm_[A-Za-z0-9]{36,}/,
    gate: lit('npm_'),
  },
  {
    name: 'npm Registry Auth Token',
    type: 'npm_token',
    pattern: /_auth(?:Token)?\s*=\s*\\?["']?([^\s"'\\$]{8,})/,
    captureGroup: 1,
    gate: lit('_auth'),
  },
  {
    name: 'PyPI Token',
    type: 'pypi_token',
    pattern: /pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}/,
    gate: lit('pypi-AgEIcHlwaS5vcmc'),
  },
  {
    name: 'Confab API Key',
    type: 'confab_key',
    // Keys are `cfb_` + 40 URL-safe base64 characters; the Go CLI's class missed `_` and `-`.
    pattern: /cfb_[A-Za-z0-9_-]{16,}/,
    gate: lit('cfb_'),
  },
  {
    name: 'Hugging Face Token',
    type: 'huggingface_token',
    pattern: /(?<![A-Za-z0-9_])(?:hf_[A-Za-z0-9]{34,}|api_org_[A-Za-z0-9]{34,})/,
    gate: lit('hf_', 'api_org_'),
  },
  {
    name: 'DigitalOcean Token',
    type: 'digitalocean_token',
    pattern: /do[opr]_v1_[a-f0-9]{64}/,
    gate: lit('dop_v1_', 'doo_v1_', 'dor_v1_'),
  },
  {
    name: 'Shopify Token',
    type: 'shopify_token',
    pattern: /shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}/,
    gate: lit('shpat_', 'shpca_', 'shppa_', 'shpss_'),
  },
  {
    name: 'Databricks Token',
    type: 'databricks_token',
    pattern: /(?<![A-Za-z0-9])dapi[a-f0-9]{32}(?:-[0-9])?/,
    gate: followedBy('[a-f0-9]{32}', 'dapi'),
  },
  {
    name: 'Grafana Token',
    type: 'grafana_token',
    pattern: /glc_[A-Za-z0-9+/]{32,}={0,3}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[A-Za-z0-9]{70,}={0,3}/,
    gate: lit('glc_', 'glsa_', 'eyJrIjoi'),
  },
  {
    name: 'HashiCorp Vault or Terraform Token',
    type: 'vault_token',
    pattern: /hv[sb]\.[A-Za-z0-9_-]{90,}|(?<![A-Za-z0-9])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}/,
    gate: lit('hvs.', 'hvb.', '.atlasv1.'),
  },
  {
    name: 'Doppler Token',
    type: 'doppler_token',
    pattern: /dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}/,
    gate: lit('dp.pt.', 'dp.st.', 'dp.sa.', 'dp.ct.', 'dp.scim.', 'dp.audit.'),
  },
  {
    name: 'Fly.io Token',
    type: 'flyio_token',
    pattern: /fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3}/,
    gate: lit('fo1_', 'fm1_', 'fm2_', 'fm1a_', 'fm1r_', 'fm2a_', 'fm2r_'),
  },
  {
    name: 'PlanetScale Token',
    type: 'planetscale_token',
    pattern: /pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32,}/,
    gate: lit('pscale_'),
  },
  {
    name: 'Sentry Token',
    type: 'sentry_token',
    pattern: /sntry[us]_[A-Za-z0-9+/=_]{40,}/,
    gate: lit('sntryu_', 'sntrys_'),
  },
  {
    name: 'Service Token',
    type: 'api_key',
    // Tokens whose prefix names their service; one rule keeps the list cheap to scan.
    pattern:
      /PMAK-[a-f0-9]{24}-[a-f0-9]{34}|lin_api_[A-Za-z0-9]{40}|pplx-[A-Za-z0-9]{48}|pnu_[A-Za-z0-9]{36}|rubygems_[a-f0-9]{48}|xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}|(?<![A-Za-z0-9])AKCp[A-Za-z0-9]{69}|dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}|EZ[AT]K[A-Za-z0-9]{54}|(?<![A-Za-z0-9])LTAI[A-Za-z0-9]{20}|pul-[a-f0-9]{40}|ntn_[0-9]{11}[A-Za-z0-9]{35}|shippo_(?:live|test)_[a-fA-F0-9]{40}|duffel_(?:test|live)_[A-Za-z0-9_=-]{43}|HRKU-AA[0-9A-Za-z_-]{58}|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}|rdme_[a-z0-9]{70}|ops_eyJ[A-Za-z0-9+/]{100,}={0,3}|(?<![A-Za-z0-9+/])EAA[CM][A-Za-z0-9]{100,}/,
    gate: lit(
      'PMAK-',
      'lin_api_',
      'pplx-',
      'pnu_',
      'rubygems_',
      'xkeysib-',
      'AKCp',
      'dt0c01.',
      'EZAK',
      'EZTK',
      'LTAI',
      'pul-',
      'ntn_',
      'shippo_',
      'duffel_',
      'HRKU-AA',
      'sq0atp-',
      'sq0csp-',
      'rdme_',
      'ops_eyJ',
      'EAAC',
      'EAAM',
    ),
  },
  {
    name: 'Age Secret Key',
    type: 'private_key',
    pattern: /AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}/,
    gate: lit('AGE-SECRET-KEY-1'),
  },
  {
    name: 'OpenShift Token',
    type: 'openshift_token',
    pattern: /sha256~[A-Za-z0-9_-]{43}/,
    gate: lit('sha256~'),
  },
  {
    name: 'Azure AD Client Secret',
    type: 'azure_secret',
    pattern: /(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}/,
    gate: followedBy('[A-Za-z0-9_~.-]{31}', 'Q~'),
  },
  {
    name: 'Telegram Bot Token',
    type: 'telegram_token',
    pattern: /(?<=[0-9]{8}):(AA[A-Za-z0-9_-]{33})/,
    captureGroup: 1,
    gate: followedBy('[A-Za-z0-9_-]{33}', ':AA'),
  },

  // Generic shapes, after the specific ones (which they would otherwise relabel).
  {
    name: 'JWT Token',
    type: 'jwt',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/,
    // Just the literal: a gate part with an unbounded run would rescan long runs per start.
    gate: followedBy('[A-Za-z0-9_-]{2,}\\.eyJ', 'eyJ'),
  },
  {
    name: 'Bearer Token',
    type: 'bearer_token',
    pattern: /\bbearer\s+([A-Za-z0-9_.~+/=-]{20,})/i,
    captureGroup: 1,
    gate: anyCase(`${WS}+[A-Za-z0-9_.~+/=-]{20}`, 'bearer'),
  },
  {
    name: 'Basic Auth Header',
    type: 'basic_auth',
    pattern: /\bauthorization\\?["']?\s*[:=]\s*\\?["']?basic\s+([A-Za-z0-9+/]{8,}={0,2})/i,
    captureGroup: 1,
    gate: anyCase(`${ASSIGN}\\\\?["']?basic`, 'authorization'),
  },
  {
    name: 'curl User Credentials',
    type: 'basic_auth',
    pattern: /\bcurl\b[^\n;&|]{0,300}?\s(?:-u|--user)(?:\s+|=)\\?["']?[^\s"'\\:]{1,100}:([^\s"'\\]{3,200})/,
    captureGroup: 1,
    gate: lit('curl'),
    accept: notTrivialValue,
  },
  {
    name: 'URL Password',
    type: 'password',
    // postgres://, mysql://, mongodb+srv://, redis://:pw@, https://user:pw@ …: RFC 3986
    // userinfo cannot hold an unencoded "/", "?", "#" or "@", which keeps "host:port/path@x"
    // from being read as credentials.
    pattern: /:\/\/[^\s:/?#@]*:([^\s/?#@]+)@/,
    captureGroup: 1,
    gate: followedBy('[^\\s:/?#@]*:[^\\s/?#@]*@', '://'),
    accept: notPlaceholder,
  },
  {
    name: 'URL Query Secret',
    type: 'url_secret',
    // ?password=…, &token=…, Azure SAS `sig=`, presigned S3 `X-Amz-Signature=`.
    pattern:
      /(?<=[?&;](?:client_|access_|refresh_|id_|auth_|x-amz-|x-amz-security-)?)(?:passw(?:or)?d|pwd|secret|token|api_?key|sig|signature)=([^&\s"'#\\]{4,})/i,
    captureGroup: 1,
    gate: anyCase('=', 'password', 'passwd', 'pwd', 'secret', 'token', 'apikey', 'api_key', 'sig', 'signature'),
    accept: notPlaceholder,
  },
  {
    name: 'DSN Password',
    type: 'password',
    // Go's MySQL driver DSN: user:password@tcp(host:3306)/db
    pattern: /(?<=[A-Za-z0-9_.-]):([^\s/?#@:]+)@(?:tcp|unix)\(/,
    captureGroup: 1,
    gate: lit('@tcp(', '@unix('),
  },
  {
    name: 'Secret Environment Variable',
    type: 'secret',
    // NAME=value where NAME says what it is (env dumps, .env files, `export`, `docker -e`).
    pattern:
      /(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)[A-Z0-9_]{0,40}=(?:\\?["'])?([^\s"'\\`][^\s"'\\`]{5,})/,
    captureGroup: 1,
    gate: followedBy('[A-Z0-9_]{0,40}=', 'PASSWORD', 'PASSWD', 'SECRET', 'TOKEN', 'API_KEY', 'APIKEY', 'ACCESS_KEY', 'PRIVATE_KEY', 'CREDENTIAL'),
    accept: notTrivialValue,
  },
  {
    name: 'Quoted Secret Assignment',
    type: 'sensitive_field',
    // `"password": "…"` inside file contents, `api_key = '…'` in code, `token: "…"` in YAML.
    pattern:
      /(?:passw(?:or)?d|secret|token|api[_-]?key|secret_?key|access_?key|private_?key|credentials?)\\?["']?\s*[:=]\s*\\?["']([^"'\\\s]{4,})/i,
    captureGroup: 1,
    gate: anyCase(`${ASSIGN}\\\\?["']`, ...SECRET_WORDS),
    accept: notTrivialValue,
  },
];

/** The built-in patterns, in the order they run (specific before general). */
export const DEFAULT_PATTERNS: readonly RedactionPatternSpec[] = BUILTIN_PATTERNS;
