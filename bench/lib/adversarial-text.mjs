// Inputs built to make a text renderer do more than linear work: unclosed brackets, links,
// emphasis and code spans repeated along one line, whitespace runs where a pattern has two
// adjacent `\s*`, near-miss table rules. Each maker takes a size in characters (roughly)
// and returns the text; the viewer's renderers must take about 4× as long on 4× the size.
// Shared by the linear-time tests and bench/viewer-render.mjs.

const rep = (unit, n) => unit.repeat(Math.max(1, Math.floor(n / unit.length)));

/** Markdown sources (assistant and user message text, thinking). */
export const MARKDOWN_CASES = {
  'open brackets': (n) => rep('[', n),
  'redaction-marker prefixes': (n) => rep('[REDACTED:', n),
  'unclosed link targets': (n) => rep('[a](b', n),
  'link labels, no target': (n) => rep('[a]', n),
  'unclosed bold': (n) => rep('**a', n),
  'unclosed italic': (n) => rep('*a ', n),
  'unclosed code spans': (n) => rep('`a', n),
  'stars': (n) => rep('*', n),
  'url schemes': (n) => rep('http://', n),
  'url with trailing dots': (n) => `http://a${'.'.repeat(n)}`,
  'spaces after a table row': (n) => `|\n${' '.repeat(n)}x`,
  'spaces in a table rule': (n) => `| a |\n|--${' '.repeat(n)}x`,
  'wide table': (n) => `${rep('| a ', n / 2)}\n${rep('|---', n / 2)}\n`,
  'dashes and spaces (rule?)': (n) => `${rep('- ', n)}x`,
  'list marker then spaces': (n) => `- ${' '.repeat(n)}\u2028x`,
  'heading then spaces': (n) => `# ${' '.repeat(n)}\u2028x`,
  'quote marks': (n) => rep('>', n),
  'many short lines': (n) => rep('|\n', n),
  'many list lines': (n) => rep('- [a](\n', n),
  'fence openers': (n) => rep('```\n', n),
};

/** Plain text the viewer renders outside Markdown (tool input/output, raw lines, titles). */
export const TEXT_CASES = {
  'redaction-marker prefixes': (n) => rep('[REDACTED:', n),
  'long marker name': (n) => `[REDACTED:${'A'.repeat(n)}`,
  'redaction markers': (n) => rep('[REDACTED:GITHUB_TOKEN] ', n),
  'markup characters': (n) => rep('<>&"\'', n),
  'whitespace runs': (n) => rep(' \t\n', n),
  'slashes (path)': (n) => `/home/${'/'.repeat(n)}x`,
};
