#!/usr/bin/env node
// The viewer's renderers on adversarial transcript text: each input of bench/lib/adversarial-text.mjs
// at 4 KiB and at 64 KiB (the most one text block renders), in CPU time, as the growth
// from 4 to 64 KiB (linear: 16×; quadratic: 256×) and as a ratio to ordinary chat Markdown of
// the same size measured in the same run. Needs a build (`npm run build`). Usage:
//   node bench/viewer-render.mjs [--write]
import { MARKDOWN_CASES, TEXT_CASES } from './lib/adversarial-text.mjs';
import { machineLine, publish, table } from './lib/report.mjs';

const { renderMarkdown } = await import('../dist/serve/viewer/markdown.js');
const { renderLines } = await import('../dist/serve/viewer/transcript-render.js');
const { splitLines } = await import('../dist/serve/viewer/transcript-lines.js');

const SMALL = 4 * 1024;
const LARGE = 64 * 1024 - 64; // under the 64 KiB a text block is clipped to

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU ms per call, best of 5 rounds of at least 50 ms each. */
function perCall(fn) {
  fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    let calls = 0;
    const start = cpuMs();
    let elapsed;
    do {
      fn();
      calls++;
      elapsed = cpuMs() - start;
    } while (elapsed < 50);
    best = Math.min(best, elapsed / calls);
  }
  return best;
}

/** What assistant messages usually look like: prose, lists, code, links. */
const ORDINARY = [
  '## Plan',
  '',
  'I will read `src/serve/viewer/markdown.ts`, then run the **tests** (see [the docs](https://example.com/docs)).',
  '',
  '- first, the *parser*',
  '- then https://example.org/issue/1.',
  '',
  '```ts',
  'const x = renderMarkdown("<b>");',
  '```',
  '',
].join('\n');
const ordinary = (n) => ORDINARY.repeat(Math.ceil(n / ORDINARY.length)).slice(0, n);

const asLines = (t) =>
  splitLines(
    Buffer.from(
      `${[
        JSON.stringify({ type: 'assistant', message: { id: 'm', content: [{ type: 'text', text: t }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: t } }] } }),
        JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: t }] } }),
      ].join('\n')}\n`,
    ),
    1,
  );
const CTX = { sessionId: 's', fileName: 'main.jsonl', files: [] };

const renderers = [
  { name: 'renderMarkdown', cases: { 'ordinary chat Markdown (baseline)': ordinary, ...MARKDOWN_CASES }, run: (t) => renderMarkdown(t) },
  { name: 'renderLines (message + tool call + result)', cases: { 'ordinary chat Markdown (baseline)': ordinary, ...TEXT_CASES }, prepare: asLines, run: (l) => renderLines(l, CTX) },
];

const sections = [];
for (const r of renderers) {
  const rows = [];
  let baseline;
  for (const [name, make] of Object.entries(r.cases)) {
    const prep = r.prepare ?? ((t) => t);
    const small = prep(make(SMALL));
    const large = prep(make(LARGE));
    const a = perCall(() => r.run(small));
    const b = perCall(() => r.run(large));
    baseline ??= b;
    rows.push([name, `${a.toFixed(3)} ms`, `${b.toFixed(2)} ms`, `${(b / a).toFixed(1)}×`, `${(b / baseline).toFixed(2)}×`]);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  sections.push(`**${r.name}**\n\n${table(['input', '4 KiB', '64 KiB', 'growth (linear 16×)', 'vs ordinary at 64 KiB'], rows)}`);
}

publish(
  'viewer-render',
  `### Viewer rendering of adversarial text (\`bench/viewer-render.mjs\`)

${machineLine()}; CPU time per call, best of 5 rounds. Every input of \`bench/lib/adversarial-text.mjs\` at 4 KiB and just under 64 KiB (the most of one text block the viewer renders). The previous renderer was quadratic on several of these inputs: 4 KiB → 64 KiB grew 250× (\`renderMarkdown\` on \`[\` repeated: 7.8 ms → 1.95 s; a table rule line followed by 64 KiB of spaces: 4.6 s; \`renderLines\` on the same: 13.8 s). \`test/serve/viewer-linear.test.ts\` fails on growth beyond 80× for 16× the input.

${sections.join('\n\n')}
`,
);
