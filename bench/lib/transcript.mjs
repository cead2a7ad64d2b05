// Claude Code transcript lines (the JSONL shapes Claude Code writes), built from a seed:
// ordinary sessions (prose, code, tool calls and outputs, images) and lines that carry a
// given secret in each place a secret turns up in practice.

import { ALNUM, B64, HEX, chars, rng } from './fake-secrets.mjs';

const WORDS =
  'the a to of and in is for that this with it on be as function file test error value return update change config request response user session data type import export const let async await build module server client handle parse check run add fix use new call line path state cache retry token key field name list map set get read write create delete'.split(
    ' ',
  );

function uuid(rand) {
  const h = chars(rand, HEX, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[Math.floor(rand() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)];
const sentence = (rand, n = 8 + Math.floor(rand() * 14)) => {
  const w = Array.from({ length: n }, () => pick(rand, WORDS));
  w[0] = w[0][0].toUpperCase() + w[0].slice(1);
  return `${w.join(' ')}.`;
};
const ident = (rand) => {
  const parts = Array.from({ length: 2 + Math.floor(rand() * 4) }, () => pick(rand, WORDS));
  return parts[0] + parts.slice(1).map((p) => p[0].toUpperCase() + p.slice(1)).join('');
};

/** A session context: the envelope fields every line carries. */
export function session(seed = 7) {
  const rand = rng(seed);
  return { rand, sessionId: uuid(rand), cwd: '/home/dev/projects/acme-api', parent: null, t: Date.UTC(2025, 9, 1, 9, 0, 0) };
}

function envelope(s, type, extra) {
  const uuidv = uuid(s.rand);
  s.t += 1000 + Math.floor(s.rand() * 20000);
  const line = {
    parentUuid: s.parent,
    isSidechain: false,
    userType: 'external',
    cwd: s.cwd,
    sessionId: s.sessionId,
    version: '2.0.14',
    gitBranch: 'main',
    type,
    ...extra,
    uuid: uuidv,
    timestamp: new Date(s.t).toISOString(),
  };
  s.parent = uuidv;
  return JSON.stringify(line);
}

const usage = (rand) => ({
  input_tokens: 1 + Math.floor(rand() * 20),
  cache_creation_input_tokens: Math.floor(rand() * 5000),
  cache_read_input_tokens: Math.floor(rand() * 90000),
  cache_creation: { ephemeral_5m_input_tokens: Math.floor(rand() * 5000), ephemeral_1h_input_tokens: 0 },
  output_tokens: 1 + Math.floor(rand() * 800),
  service_tier: 'standard',
});

function assistant(s, content) {
  return envelope(s, 'assistant', {
    message: {
      id: `msg_01${chars(s.rand, ALNUM, 22)}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content,
      stop_reason: null,
      stop_sequence: null,
      usage: usage(s.rand),
    },
    requestId: `req_011C${chars(s.rand, ALNUM, 20)}`,
  });
}

export const userPrompt = (s, text) => envelope(s, 'user', { message: { role: 'user', content: text } });
export const assistantText = (s, text) => assistant(s, [{ type: 'text', text }]);

export function toolUse(s, name, input) {
  const id = `toolu_01${chars(s.rand, ALNUM, 22)}`;
  s.lastToolId = id;
  return assistant(s, [{ type: 'tool_use', id, name, input }]);
}

export function toolResult(s, content, toolUseResult) {
  return envelope(s, 'user', {
    message: { role: 'user', content: [{ tool_use_id: s.lastToolId ?? `toolu_01${chars(s.rand, ALNUM, 22)}`, type: 'tool_result', content, is_error: false }] },
    toolUseResult,
  });
}

export const bashResult = (s, stdout) => toolResult(s, stdout, { stdout, stderr: '', interrupted: false, isImage: false });

export function readResult(s, filePath, content) {
  const numbered = content
    .split('\n')
    .map((l, i) => `${String(i + 1).padStart(6)}→${l}`)
    .join('\n');
  const lines = content.split('\n').length;
  return toolResult(s, numbered, { type: 'text', file: { filePath, content, numLines: lines, startLine: 1, totalLines: lines } });
}

export const writeResult = (s, filePath, content) => toolResult(s, `File created successfully at: ${filePath}`, { type: 'create', filePath, content, structuredPatch: [] });

// ---- ordinary content -------------------------------------------------------------------

function tsCode(rand) {
  const fn = ident(rand);
  const arg = pick(rand, WORDS);
  return [
    `import { ${ident(rand)} } from './${pick(rand, WORDS)}.js';`,
    '',
    `/** ${sentence(rand)} */`,
    `export async function ${fn}(${arg}: string, opts: { retries?: number } = {}): Promise<number> {`,
    `  const ${ident(rand)} = await fetch(\`\${BASE_URL}/api/v1/${pick(rand, WORDS)}s?page=\${page}\`, { headers: { Authorization: \`Bearer \${token}\` } });`,
    `  if (!${arg}) throw new Error('${sentence(rand, 5)}');`,
    `  const password = req.body.password; // validated by zod: z.string().min(8)`,
    `  const maxTokens = opts.retries ?? ${Math.floor(rand() * 9000)};`,
    `  return ${arg}.length * 0x${chars(rand, HEX, 6)};`,
    '}',
  ].join('\n');
}

const css = (rand) =>
  `.${pick(rand, WORDS)}-${pick(rand, WORDS)} {\n  color: #${chars(rand, HEX, 6)};\n  background: rgba(${Math.floor(rand() * 255)}, 12, 40, 0.4);\n  border: 1px solid #${chars(rand, HEX, 3)};\n  font-family: 'Inter', sans-serif;\n}`;

function gitLog(rand) {
  return Array.from(
    { length: 6 },
    () =>
      `commit ${chars(rand, HEX, 40)}\nAuthor: Dev Person <dev@example.com>\nDate:   Mon Oct 6 10:${10 + Math.floor(rand() * 49)}:00 2025 +0200\n\n    ${sentence(rand, 6)}\n`,
  ).join('\n');
}

const sha256sums = (rand) => Array.from({ length: 5 }, () => `${chars(rand, HEX, 64)}  dist/${pick(rand, WORDS)}.js`).join('\n');

function packageLock(rand) {
  const entries = Array.from({ length: 6 }, () => {
    const name = `${pick(rand, WORDS)}-${pick(rand, WORDS)}`;
    const v = `${Math.floor(rand() * 9)}.${Math.floor(rand() * 20)}.${Math.floor(rand() * 20)}`;
    return `    "node_modules/${name}": {\n      "version": "${v}",\n      "resolved": "https://registry.npmjs.org/${name}/-/${name}-${v}.tgz",\n      "integrity": "sha512-${chars(rand, B64, 86)}==",\n      "dev": true,\n      "license": "MIT"\n    }`;
  });
  return `{\n  "name": "acme-api",\n  "lockfileVersion": 3,\n  "packages": {\n${entries.join(',\n')}\n  }\n}`;
}

function urls(rand) {
  return [
    `https://github.com/acme/acme-api/pull/${Math.floor(rand() * 900)}`,
    `http://localhost:${3000 + Math.floor(rand() * 100)}/api/v1/users?page=2&limit=50&sort=created_at`,
    `ssh://git@github.com/acme/${pick(rand, WORDS)}.git`,
    `https://registry.npmjs.org/@acme%2f${pick(rand, WORDS)}`,
    `https://docs.example.com/guide#${pick(rand, WORDS)}-${pick(rand, WORDS)}`,
    `postgres://localhost:5432/acme_dev`,
    `https://cdn.example.com/assets/logo@2x.png?v=${chars(rand, HEX, 8)}`,
    `http://[::1]:8080/healthz`,
  ].join('\n');
}

function envFile(rand) {
  return [
    'NODE_ENV=production',
    `PORT=${3000 + Math.floor(rand() * 10)}`,
    'LOG_LEVEL=debug',
    'DATABASE_HOST=localhost',
    'NEXT_PUBLIC_API_URL=https://api.example.com',
    `MAX_TOKENS=${Math.floor(rand() * 9000)}`,
    'TOKEN_EXPIRY_SECONDS=3600',
    'GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}',
    'NPM_TOKEN=$NPM_TOKEN',
    'SESSION_SECRET=',
  ].join('\n');
}

function testOutput(rand) {
  return `\u001b[32m✓\u001b[39m src/${pick(rand, WORDS)}.test.ts (${Math.floor(rand() * 40)} tests) ${Math.floor(rand() * 900)}ms\n\u001b[31m✗\u001b[39m ${sentence(rand, 6)}\n  Expected: "${ident(rand)}"\n  Received: "${ident(rand)}"\n\n Test Files  1 failed | 12 passed (13)\n      Tests  1 failed | 204 passed (205)`;
}

const longIdentifiers = (rand) =>
  [
    'createSessionTokenRefreshHandlerForAuthenticatedUsers',
    'AWS_SDK_LOAD_CONFIG',
    'SK_MAX_RETRIES_BEFORE_GIVING_UP',
    'getSecretAccessKeyFromEnvironmentOrThrow',
    'sk-learn-compatible-estimator',
    'task-runner-for-background-jobs-v2',
    `${ident(rand)}_${ident(rand)}_${chars(rand, HEX, 12)}`,
    `kebab-case-${pick(rand, WORDS)}-${pick(rand, WORDS)}-${pick(rand, WORDS)}-identifier`,
  ].join('\n');

const base64Image = (rand, bytes) => chars(rand, B64, Math.floor((bytes * 4) / 3));

/** Ordinary lines, none of which holds a secret. */
export function ordinaryLines(seed = 11, count = 400) {
  const s = session(seed);
  const { rand } = s;
  const out = [];
  const makers = [
    () => userPrompt(s, `${sentence(rand)} ${sentence(rand)} See ${urls(rand).split('\n')[0]}`),
    () => assistantText(s, `${sentence(rand)}\n\n\`\`\`ts\n${tsCode(rand)}\n\`\`\`\n\n${sentence(rand)}`),
    () => toolUse(s, 'Bash', { command: `git log -6 && sha256sum dist/*.js && git push -u origin main`, description: sentence(rand, 5) }),
    () => bashResult(s, `${gitLog(rand)}\n${sha256sums(rand)}`),
    () => toolUse(s, 'Read', { file_path: `${s.cwd}/package-lock.json` }),
    () => readResult(s, `${s.cwd}/package-lock.json`, packageLock(rand)),
    () => toolUse(s, 'Write', { file_path: `${s.cwd}/src/${pick(rand, WORDS)}.ts`, content: tsCode(rand) }),
    () => writeResult(s, `${s.cwd}/src/styles.css`, css(rand)),
    () => bashResult(s, testOutput(rand)),
    () => bashResult(s, `${urls(rand)}\n${uuid(rand)} ${uuid(rand)}\n${longIdentifiers(rand)}`),
    () => readResult(s, `${s.cwd}/.env.example`, envFile(rand)),
    () => toolUse(s, 'Bash', { command: `curl -sSL -H "Authorization: Bearer $API_TOKEN" https://api.example.com/v1/me | jq .`, description: 'Check the API' }),
    () => toolResult(s, [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: base64Image(rand, 2000 + Math.floor(rand() * 30000)) } }], undefined),
    () => JSON.stringify({ type: 'summary', summary: sentence(rand, 6), leafUuid: uuid(rand) }),
  ];
  for (let i = 0; i < count; i++) out.push(makers[i % makers.length]());
  return out;
}

// ---- secrets in context -----------------------------------------------------------------

/**
 * The same secret in every place it shows up in a session: a pasted prompt, the model's
 * reply, a Bash command, a Write of a file, a Read of a file, a tool_result, toolUseResult
 * stdout, and an `env` dump. Returns `{ context, line }` pairs.
 */
export function secretLines(fake, seed = 3) {
  const s = session(seed);
  const { rand } = s;
  const t = fake.text;
  const file = `${s.cwd}/config/${pick(rand, WORDS)}.env`;
  const envDump = `HOME=/home/dev\nPATH=/usr/local/bin:/usr/bin\nSHELL=/bin/zsh\n${t.includes('\n') ? `PRIVATE_KEY_PEM=${JSON.stringify(t)}` : t}\nLANG=en_US.UTF-8`;
  return [
    { context: 'user prompt', line: userPrompt(s, `Can you check why this fails? I am using ${t} in staging.`) },
    { context: 'assistant text', line: assistantText(s, `I see the problem: the config sets\n\n\`\`\`\n${t}\n\`\`\`\n\nwhich is rejected.`) },
    { context: 'Bash command', line: toolUse(s, 'Bash', { command: `printf '%s\\n' '${t}' >> ${file} && echo done`, description: 'Save the setting' }) },
    { context: 'Write content', line: toolUse(s, 'Write', { file_path: file, content: `# ${sentence(rand, 4)}\n${t}\n# end\n` }) },
    { context: 'Read result', line: readResult(s, file, `# generated\n${t}\n`) },
    { context: 'tool_result content', line: toolResult(s, `$ cat ${file}\n${t}\n`, undefined) },
    { context: 'toolUseResult stdout', line: bashResult(s, `Loaded config from ${file}:\n${t}\nOK`) },
    { context: 'env dump', line: bashResult(s, envDump) },
  ];
}

/**
 * A transcript of about `bytes` bytes for benchmarks: ordinary lines, with one line in
 * `secretEvery` carrying a secret from `fakes`.
 */
export function generateTranscript({ bytes, seed = 5, fakes = [], secretEvery = 500 }) {
  const lines = [];
  let size = 0;
  let round = 0;
  while (size < bytes) {
    for (const line of ordinaryLines(seed + round++, 700)) {
      lines.push(line);
      size += line.length + 1;
      if (fakes.length && lines.length % secretEvery === 0) {
        const fake = fakes[(lines.length / secretEvery) % fakes.length];
        const { line: secretLine } = secretLines(fake, lines.length)[lines.length % 8];
        lines.push(secretLine);
        size += secretLine.length + 1;
      }
      if (size >= bytes) break;
    }
  }
  return lines;
}

