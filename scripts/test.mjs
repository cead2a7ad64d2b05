#!/usr/bin/env node
// The project's test command: lint, typecheck, build, then the vitest suite. Every step
// runs even when an earlier one failed, and the run always ends with one line
// "N passed, N failed" (vitest's tests, plus lint/typecheck/build counted as one check each),
// so a run that executed nothing is visible.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const extraArgs = process.argv.slice(2);
const resultsFile = '.vitest-results.json';

let passed = 0;
let failed = 0;

function step(name, cmd, args) {
  console.log(`\n── ${name}: ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (res.status === 0) {
    passed++;
    return true;
  }
  failed++;
  console.log(`✗ ${name} failed (exit ${res.status ?? res.signal})`);
  return false;
}

const bin = (name) => `${root}/node_modules/.bin/${name}`;
step('lint', bin('eslint'), ['--max-warnings', '0', '.']);
step('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
const built = step('build', 'npm', ['run', '--silent', 'build']);

if (built) {
  step('npm cache', process.execPath, ['scripts/fill-install-cache.mjs']);
  rmSync(`${root}/${resultsFile}`, { force: true });
  console.log('\n── tests: vitest run');
  const res = spawnSync(
    bin('vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`, ...extraArgs],
    { cwd: root, stdio: 'inherit', env: { ...process.env, CONFAB_TEST_SKIP_BUILD: '1' } },
  );
  if (existsSync(`${root}/${resultsFile}`)) {
    const report = JSON.parse(readFileSync(`${root}/${resultsFile}`, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    // Suites that failed to load have no tests to count; count each as a failure.
    failed += (report.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0).length;
  }
  if (res.status !== 0 && failed === 0) failed++;
} else {
  console.log('tests skipped: the build failed');
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
