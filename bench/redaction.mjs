#!/usr/bin/env node
// Redaction throughput on a generated Claude Code transcript (ordinary sessions, one line in
// 500 carrying a secret), as ratios to a plain line copy and to JSON.parse+JSON.stringify of
// the same lines, measured in the same run; plus the CPU side of a sync upload (chunk body
// serialisation + zstd) with redaction off and on. Needs a build (`npm run build`). Usage:
//   node bench/redaction.mjs [--mb 100] [--runs 3] [--write]
import { fakeSecrets } from './lib/fake-secrets.mjs';
import { loadLine, machineLine, publish, table } from './lib/report.mjs';
import { generateTranscript } from './lib/transcript.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MB = arg('--mb', 100);
const RUNS = arg('--runs', 3);

const { buildRedactor } = await import('../dist/redact/redactor.js');
const { Gate } = await import('../dist/redact/gate.js');
const { BUILTIN_PATTERNS } = await import('../dist/redact/patterns.js');
const { createRedactor } = await import('../dist/redact/index.js');

process.stderr.write(`generating a ${MB} MB transcript… `);
const lines = generateTranscript({ bytes: MB * 1e6, fakes: fakeSecrets(1, 1), secretEvery: 500 });
const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
process.stderr.write(`${lines.length} lines, ${(bytes / 1e6).toFixed(1)} MB\n`);

const userPatterns = [
  { name: 'Internal host', type: 'host', pattern: '(?i)\\b[a-z0-9-]+\\.corp\\.internal\\b' },
  { name: 'Employee id', type: 'employee_id', pattern: '\\bEMP-[0-9]{6}\\b' },
];

const variants = [
  { name: 'plain line copy (UTF-8 encode)', run: (l) => Buffer.from(l, 'utf8').length },
  { name: 'JSON.parse + JSON.stringify', run: (l) => JSON.stringify(JSON.parse(l)).length },
  { name: 'redaction, built-ins on V8 (default)', redactor: () => createRedactor({}) },
  { name: 'redaction, built-ins on re2js', redactor: () => buildRedactor({}, { builtinEngine: 're2' }) },
  { name: 'redaction, built-ins on V8, gate off', redactor: () => buildRedactor({}, { gating: false }) },
  { name: 'redaction + 2 user patterns (re2js)', redactor: () => createRedactor({ patterns: userPatterns }) },
];

/** Best of RUNS passes over all lines, interleaved across variants so drift hits all alike. */
function measure(items) {
  const best = new Map(items.map((v) => [v.name, Infinity]));
  const info = new Map();
  for (let r = 0; r < RUNS; r++) {
    for (const v of items) {
      const redactor = v.redactor?.();
      const fn = redactor ? (l) => redactor.redactLine(l) : v.run;
      let changed = 0;
      const t0 = performance.now();
      for (const l of lines) if (fn(l) !== l && redactor) changed++;
      const ms = performance.now() - t0;
      best.set(v.name, Math.min(best.get(v.name), ms));
      if (redactor) info.set(v.name, { changed, redactions: [...redactor.stats.values()].reduce((a, b) => a + b, 0) });
    }
  }
  return { best, info };
}

const { best, info } = measure(variants);
const copyMs = best.get(variants[0].name);
const jsonMs = best.get(variants[1].name);
const mbps = (ms) => (bytes / 1e6 / (ms / 1000)).toFixed(0);
const rows = variants.map((v) => {
  const ms = best.get(v.name);
  const i = info.get(v.name);
  return [v.name, `${mbps(ms)} MB/s`, `${(ms / copyMs).toFixed(2)}×`, `${(ms / jsonMs).toFixed(2)}×`, i ? `${i.changed} / ${i.redactions}` : '–'];
});

// The CPU side of a sync: chunks of lines → JSON chunk body → zstd (the product's compressor),
// without and with redaction.
const { zstdCompress, zstdImplementation } = await import('../dist/backend/zstd.js');
const CHUNK_LINES = 1000;
// Main's figures with the WASM compressor (@bokuweb/zstd-wasm), 2026-11-25, same machine: the
// library is no longer installed, so the "before" column is the recorded one.
const WASM_BEFORE = { off: 16, on: 12 };
async function syncPass(redactor) {
  let out = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < lines.length; i += CHUNK_LINES) {
    const slice = lines.slice(i, i + CHUNK_LINES);
    const body = JSON.stringify({
      session_id: '0b4c7f5e-1f0e-4a7e-9a39-3f2a1c0d9e11',
      file_name: 'transcript.jsonl',
      file_type: 'transcript',
      first_line: i + 1,
      lines: redactor ? slice.map((l) => redactor.redactLine(l)) : slice,
    });
    out += (await zstdCompress(Buffer.from(body))).length;
  }
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, out };
}
let syncOff = { ms: Infinity };
let syncOn = { ms: Infinity };
for (let r = 0; r < RUNS; r++) {
  const off = await syncPass(undefined);
  if (off.ms < syncOff.ms) syncOff = off;
  const on = await syncPass(createRedactor({}));
  if (on.ms < syncOn.ms) syncOn = on;
}

const gated = info.get(variants[2].name);
const gate = new Gate(BUILTIN_PATTERNS.flatMap((p, rule) => p.gate.map((part) => ({ rule, part }))));
let passLines = 0;
let passBytes = 0;
for (const l of lines) {
  if (!gate.passing(l)) continue;
  passLines++;
  passBytes += Buffer.byteLength(l) + 1;
}
const pct = (a, b) => `${((100 * a) / b).toFixed(1)}%`;

// Adversarial inputs for the built-ins (which run on V8's backtracking engine): the worst one
// at 128 KB and at 256 KB (linear time: about 2×), against an ordinary text of 128 KB.
const { adversarialTexts } = await import('./lib/adversarial-redaction.mjs');
const ADV_SIZE = 128 * 1024;
const defaults = createRedactor({});
const redactBoth = (text) => {
  const t0 = performance.now();
  defaults.redactText(text);
  defaults.redactLine(text);
  return performance.now() - t0;
};
const ordinaryText = lines.join('\n').slice(0, ADV_SIZE);
let ordinaryMs = Infinity;
for (let r = 0; r < RUNS; r++) ordinaryMs = Math.min(ordinaryMs, redactBoth(ordinaryText));
let worst = { ms: 0, label: '' };
let advTexts = 0;
for (const { label, text } of adversarialTexts(BUILTIN_PATTERNS, ADV_SIZE)) {
  advTexts++;
  const ms = redactBoth(text);
  if (ms > worst.ms) worst = { ms, label };
}
const worstDouble = [...adversarialTexts(BUILTIN_PATTERNS, 2 * ADV_SIZE)].find((t) => t.label === worst.label);
let worstMs = Infinity;
let doubleMs = Infinity;
for (let r = 0; r < RUNS; r++) {
  worstMs = Math.min(worstMs, redactBoth([...adversarialTexts(BUILTIN_PATTERNS, ADV_SIZE)].find((t) => t.label === worst.label).text));
  doubleMs = Math.min(doubleMs, redactBoth(worstDouble.text));
}

publish(
  'redaction',
  `### Redaction throughput (\`bench/redaction.mjs\`)

${machineLine()}; a generated ${(bytes / 1e6).toFixed(0)} MB Claude Code transcript (${lines.length} lines, one in 500 with a secret), best of ${RUNS} interleaved passes.

${table(['per line', 'throughput', 'vs copy', 'vs parse+stringify', 'lines changed / redactions'], rows)}

Sync CPU work (chunk body of ${CHUNK_LINES} lines → JSON → zstd level 3 on ${zstdImplementation() === 'zlib' ? "node:zlib's zstd" : 'the native binding (@toondepauw/node-zstd)'}), redaction off vs on, load average ${loadLine()}; before: main's figures with zstd in WebAssembly (@bokuweb/zstd-wasm, 2026-11-25):

${table(
  ['pipeline', 'throughput (CPU time)', 'ratio', 'before (WASM zstd)', 'after / before'],
  [
    ['redaction off', `${mbps(syncOff.ms)} MB/s (${syncOff.cpuMs.toFixed(0)} ms CPU)`, '1.00×', `${WASM_BEFORE.off} MB/s`, `${(bytes / 1e3 / syncOff.ms / WASM_BEFORE.off).toFixed(2)}×`],
    [
      'redaction on (defaults)',
      `${mbps(syncOn.ms)} MB/s (${syncOn.cpuMs.toFixed(0)} ms CPU)`,
      `${(syncOn.ms / syncOff.ms).toFixed(2)}×`,
      `${WASM_BEFORE.on} MB/s`,
      `${(bytes / 1e3 / syncOn.ms / WASM_BEFORE.on).toFixed(2)}×`,
    ],
  ],
)}

Adversarial inputs (\`bench/lib/adversarial-redaction.mjs\`, ${advTexts} texts of ${ADV_SIZE / 1024} KB built to make each built-in nearly match and fail over and over), redactText + redactLine each:

${table(
  ['input', 'time', 'ratio'],
  [
    [`ordinary transcript text, ${ADV_SIZE / 1024} KB`, `${ordinaryMs.toFixed(1)} ms`, '1.00×'],
    [`worst adversarial (${worst.label.replace(/\|/g, '\\|')}), ${ADV_SIZE / 1024} KB`, `${worstMs.toFixed(1)} ms`, `${(worstMs / ordinaryMs).toFixed(1)}×`],
    [`the same, ${(2 * ADV_SIZE) / 1024} KB (linear: about 2× the line above)`, `${doubleMs.toFixed(1)} ms`, `${(doubleMs / ordinaryMs).toFixed(1)}×`],
  ],
)}

With the defaults, ${gated ? gated.changed : '?'} lines changed. ${pct(passLines, lines.length)} of the lines (${pct(passBytes, bytes)} of the bytes) hold a built-in's gate literal and were parsed and matched; the rest were returned untouched after one scan.
`,
);
