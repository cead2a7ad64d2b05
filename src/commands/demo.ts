import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { runDemo, type DemoResult } from '../demo/run-demo.js';
import { resolveSettings } from '../config/settings.js';
import { storeDir } from '../paths.js';
import { ConfabCommand, CommandError, useColor } from './confab-command.js';

export default class Demo extends ConfabCommand {
  static override description = [
    "See confab's main job in a few seconds, with no agent installed: a real Claude Code session (a recorded one, with a sub-agent) is written into a temporary Claude Code home the way Claude Code writes it, while the real hooks start a real sync daemon that copies it, line by line, into the embedded local store.",
    'Your own ~/.claude is never touched. The copy stays in the store (~/.confab/store, or --store) for you to look at.',
  ].join('\n\n');
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --store /tmp/confab-demo-store'];
  static override enableJsonFlag = true;
  static override flags = {
    store: Flags.string({ description: 'store directory to copy the session into (default: ~/.confab/store)' }),
  };

  /** What the user must set for the other commands to read this store rather than the configured backend. */
  private async envPrefix(store: string | undefined): Promise<string> {
    const local = await resolveSettings({ cwd: process.cwd() }).then(
      (s) => s.backend.kind === 'local',
      () => false,
    );
    return `${local ? '' : 'CONFAB_BACKEND_URL=local '}${store ? `CONFAB_STORE_DIR=${store} ` : ''}`;
  }

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    const dir = flags.store ? resolve(flags.store) : storeDir();
    const color = useColor();
    const dim = (t: string) => (color ? `\u001b[2m${t}\u001b[0m` : t);
    const bold = (t: string) => (color ? `\u001b[1m${t}\u001b[0m` : t);
    this.log(bold(`confab demo: a Claude Code session, synced as it happens into ${dir}`));
    // The steps as they happen are progress: stderr, so stdout holds the outcome.
    const dimErr = (t: string) => (useColor(process.stderr) ? `\u001b[2m${t}\u001b[0m` : t);
    const res = await runDemo({ storeDir: dir, say: (line) => this.logToStderr(dimErr(line)) });
    const bad = res.files.filter((f) => !f.identical);
    if (!this.jsonEnabled()) {
      this.log('');
      for (const f of res.files) this.log(`${f.identical ? '✓' : '✗'} ${f.name}: ${f.lines} lines stored${f.identical ? ', identical to the transcript' : ', differs from the transcript'}`);
      this.log(`${res.sessionEndRecorded ? '✓' : '✗'} session end recorded`);
      const median = [...res.steps.map((s) => s.latencyMs)].sort((a, b) => a - b)[Math.floor(res.steps.length / 2)] ?? 0;
      this.log(`Each write reached the store in ${median} ms (median); the whole demo took ${(res.durationMs / 1000).toFixed(1)} s.`);
      this.log('');
      this.log(bold('Where the copy is'));
      this.log(`  store:    ${res.storeDir}`);
      this.log(`  session:  ${res.externalId} (store id ${res.backendSessionId})`);
      this.log(bold('Look at it'));
      const store = await this.envPrefix(flags.store ? res.storeDir : undefined);
      this.log(`  ${store}confab session list-files ${res.externalId.slice(0, 8)}`);
      this.log(`  ${store}confab session download ${res.externalId.slice(0, 8)} --output-dir ./demo-copy`);
      const storeFlag = flags.store ? ` --store ${res.storeDir}` : '';
      this.log(`  confab serve keys create me${storeFlag}   ${dim('# a key for the web viewer (printed once)')}`);
      this.log(`  confab serve${storeFlag}   ${dim('# browse the store at http://127.0.0.1:8787 (log in with that key)')}`);
      this.log(bold('Do it for real'));
      this.log('  confab setup     # hook Claude Code on this machine');
      this.log('  confab save --all  # back up the sessions you already have');
    }
    if (bad.length || !res.sessionEndRecorded) throw new CommandError(`the stored copy does not match the session (${bad.map((f) => f.name).join(', ') || 'no session end'})`);
    return res;
  }
}
