// Inputs built to make each built-in redaction rule start, nearly match and fail over and
// over: its gate literals and near-misses, each repeated to fill a text, then followed by
// a tail, or put before a long run of token-like characters. Shared by the redaction
// benchmark (which times them) and the tests (which check what they redact to).

const TAILS = ['', 'a', 'aB3', '0', '-', ' ', '\n', '='];

/** `unit` repeated to exactly `size` characters. */
export function fill(unit, size) {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** The adversarial texts of `size` characters for these built-in patterns (`BUILTIN_PATTERNS`). */
export function* adversarialTexts(patterns, size) {
  const units = [
    ...new Set([
      ...patterns.flatMap((p) => p.gate.map((part) => part.literal)),
      'sk-ant-api03-',
      'sk-proj-',
      'xoxe.xoxb-',
      'discord.com/api/webhooks/1234567/',
      'SK0123456789abcdef0123456789abcdef',
      'SG.aaaaaaaaaaaaaaaaaaaaaa.',
      '0123456789abcdef0123456789abcdef-us1',
      'dapi0123456789abcdef0123456789abcdef',
      'aaaaaaaaaaaaaa.atlasv1.',
      'dp.pt.',
      'fm2_',
      'abc1Q~',
      '12345678:AA',
      'eyJa.eyJa.',
      'Bearer ',
      'Authorization: Basic ',
      'authorization=',
      'curl -u ',
      ' -u a:',
      '://a:',
      '://:b',
      'a:b@',
      'x:y@tcp(',
      '?password=',
      '&token=',
      'GITHUB_TOKEN=',
      'A_SECRET_B=',
      'PASSWORD',
      'password: "',
      "api_key='",
      'token=',
      'secret_access_key=',
      'SessionToken: ',
      '-----BEGIN PRIVATE KEY-----',
      '-----BEGIN RSA PRIVATE KEY-----\n',
      '-----BEGIN PRIVATE KEY-----\nProc-Type: 4\n',
      '-----END PRIVATE KEY-----',
      '----',
      '\\n',
      '\\\\n',
      '\\"',
    ]),
  ];
  for (const unit of units) {
    for (const tail of TAILS) yield { label: JSON.stringify(unit + tail), text: fill(unit + tail, size) };
    // The same run after a prefix.
    for (const run of ['a', 'A0', 'aB3-_']) yield { label: `${JSON.stringify(unit)} + ${run}`, text: unit + fill(run, size) };
  }
}

/** A JSON-escaped line full of near-misses of every kind, about `size` characters. */
export function nearMissText(size) {
  return fill('sk-a ://a:b curl -u x eyJa.eyJ -----BEGIN PRIVATE KEY----- token="x PASSWORD=" ', size);
}
