import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLE_AGENT_ID, SAMPLE_AGENT_LINES, SAMPLE_MAIN_LINES } from '../../src/demo/sample-session.js';
import { FileStore } from '../../src/store/file-store.js';
import { REPO_ROOT, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

interface DemoOut {
  externalId: string;
  claudeDir: string;
  backendSessionId: string;
  storeDir: string;
  files: { name: string; lines: number; identical: boolean }[];
  steps: { latencyMs: number }[];
  sessionEndRecorded: boolean;
}

/** The sample as the demo writes it, with the run's values filled in; timestamps (shifted to "now") masked. */
function expected(lines: readonly string[], vars: Record<string, string>): string {
  return lines
    .map((l) => l.replace(/\{\{(\w+)\}\}/g, (_, k: string) => JSON.stringify(vars[k] ?? '').slice(1, -1)))
    .map((l) => `${maskTimes(l)}\n`)
    .join('');
}

function maskTimes(text: string): string {
  return text.replace(/"timestamp":"[^"]+"/g, '"timestamp":"T"');
}

describe('confab demo', () => {
  it('syncs a Claude Code session with a sub-agent into the local store through the real hooks and daemon', async () => {
    const sbx = sandbox();
    const elsewhere = sbx.dir('somewhere-else');
    // Through the npm bin link, as `npx confab demo` runs it after `npm install`.
    const res = await sbx.exec(join(REPO_ROOT, 'node_modules/.bin/confab'), ['demo', '--json'], { cwd: elsewhere, timeoutMs: 55_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as DemoOut;
    expect(out.storeDir).toBe(join(sbx.confabDir, 'store'));
    expect(out.files.map((f) => [f.name, f.lines, f.identical])).toEqual([
      [`${out.externalId}.jsonl`, SAMPLE_MAIN_LINES.length, true],
      [`agent-${SAMPLE_AGENT_ID}.jsonl`, SAMPLE_AGENT_LINES.length, true],
    ]);
    expect(out.sessionEndRecorded).toBe(true);
    expect(out.steps.length).toBeGreaterThan(5);

    // The store holds exactly the demo session: one session, these two files, these lines.
    const store = await FileStore.open(out.storeDir);
    try {
      const sessions = await store.listSessions();
      expect(sessions.map((s) => s.external_id)).toEqual([out.externalId]);
      const s = sessions[0]!;
      expect(s.provider).toBe('claude-code');
      const cwd = s.cwd ?? '';
      const vars = { SESSION_ID: out.externalId, CWD: cwd, HOME: join(cwd, '..'), PROJECT_KEY: cwd.replace(/[^A-Za-z0-9]/g, '-') };
      const main = (await store.readFile(s.session_id, `${out.externalId}.jsonl`)).toString();
      const agent = (await store.readFile(s.session_id, `agent-${SAMPLE_AGENT_ID}.jsonl`)).toString();
      expect(maskTimes(main)).toBe(expected(SAMPLE_MAIN_LINES, vars));
      expect(maskTimes(agent)).toBe(expected(SAMPLE_AGENT_LINES, vars));
      const events = await store.listEvents(s.session_id);
      expect(events.map((e) => e.event_type)).toEqual(['session_end']);
      expect(events[0]?.payload).toMatchObject({ session_id: out.externalId, hook_event_name: 'SessionEnd' });
    } finally {
      await store.close();
    }

    // Nothing left behind: no daemon, no state, no temporary Claude home; the real ~/.claude untouched.
    expect(sbx.strayPids()).toEqual([]);
    expect(readdirSync(join(sbx.confabDir, 'sync', 'claude-code'))).toEqual([]);
    expect(existsSync(out.claudeDir)).toBe(false);
    expect(existsSync(sbx.claudeDir)).toBe(false);
  });

  it('copies into --store even with a server configured, and prints how to look at the copy', async () => {
    const sbx = sandbox();
    mkdirSync(sbx.confabDir, { recursive: true });
    writeFileSync(join(sbx.confabDir, 'config.json'), JSON.stringify({ backend_url: 'http://127.0.0.1:9', api_key: `cfb_${'a'.repeat(40)}` }));
    const dir = join(sbx.root, 'demo-store');
    const res = await sbx.run(['demo', '--store', dir], { timeoutMs: 30_000 });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`into ${dir}`);
    expect(res.stderr).toMatch(/stored 65\/65 after \d+ ms/);
    expect(res.stderr).toMatch(/stored 25\/25 after \d+ ms/);
    expect(res.stdout).toContain('identical to the transcript');
    expect(res.stdout).toMatch(new RegExp(`CONFAB_BACKEND_URL=local CONFAB_STORE_DIR=${dir} confab session download [0-9a-f]{8}`));
    expect(res.stdout).toContain('confab serve');
    expect(existsSync(join(sbx.confabDir, 'store'))).toBe(false);
    const [id] = /session download ([0-9a-f]{8})/.exec(res.stdout)?.slice(1) ?? [];
    const files = await sbx.run(['session', 'list-files', id as string, '--json'], { env: { CONFAB_BACKEND_URL: 'local', CONFAB_STORE_DIR: dir } });
    expect(files.code).toBe(0);
    expect((JSON.parse(files.stdout) as { files: { lines: number }[] }).files.map((f) => f.lines).sort()).toEqual([25, 65]);
  });

  it("is the README's quick start: exactly two set-up commands", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
    const blocks = [...quick.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]?.trim());
    expect(blocks).toEqual(['npm install && npx confab demo', 'npm ci && npm test']);
  });

  it('ships everything it needs in src/ (nothing from test/), so a fresh clone runs it', () => {
    const demoDir = join(REPO_ROOT, 'dist', 'demo');
    for (const f of readdirSync(demoDir).filter((n) => n.endsWith('.js'))) {
      expect(readFileSync(join(demoDir, f), 'utf8')).not.toMatch(/test\/|fixtures/);
    }
  });
});
