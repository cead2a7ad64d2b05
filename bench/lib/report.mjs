// Benchmarks print their table and, with --write, replace their own section of
// bench/BENCHMARKS.md (between <!-- name:start --> and <!-- name:end -->).
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const FILE = new URL('../BENCHMARKS.md', import.meta.url);

export function machineLine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} × ${cpu}, ${os.platform()} ${os.release()}`;
}

/** The 1- and 5-minute load averages, e.g. `0.52/0.61`: timings on a shared machine depend on them. */
export function loadLine() {
  const [one, five] = os.loadavg();
  return `${one.toFixed(2)}/${five.toFixed(2)}`;
}

export function table(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function publish(name, markdown) {
  console.log(markdown);
  if (!process.argv.includes('--write')) return;
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let doc = readFileSync(FILE, 'utf8');
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, doc);
  console.log(`\n(updated ${name} in bench/BENCHMARKS.md)`);
}
