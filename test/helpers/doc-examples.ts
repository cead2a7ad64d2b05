import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './sandbox.js';

/**
 * A code example from docs/plugins.md, found by the file name in its first line
 * (`// tools/my-agent.ts`), so the tests run what the documentation shows.
 */
export function docExample(file: string): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'plugins.md'), 'utf8');
  const start = doc.indexOf(`\`\`\`ts\n// ${file}\n`);
  if (start < 0) throw new Error(`docs/plugins.md has no example for ${file}`);
  const body = doc.slice(doc.indexOf('\n', start) + 1);
  return body.slice(0, body.indexOf('```'));
}
