import { formatBytes } from '../cli/format.js';
import { selectProviders } from '../cli/providers.js';
import { collectStatus, type StatusReport } from '../cli/status.js';
import { ConfabCommand, renderTable, useColor } from './confab-command.js';

export default class Status extends ConfabCommand {
  static override description =
    'Show where sessions go and whether that works right now (the local store: its path and size; a server: its URL and a live check of the API key), and for each agent whether it is installed, hooked (and whether the program its hooks run still exists), and how many sync daemons run.';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];
  static override enableJsonFlag = true;

  async run(): Promise<StatusReport> {
    await this.parse(Status);
    const report = await collectStatus(await selectProviders(undefined));
    if (!this.jsonEnabled()) this.print(report);
    return report;
  }

  private print(r: StatusReport): void {
    const color = useColor();
    const mark = (ok: boolean | null) => (ok === null ? '-' : color ? (ok ? '\u001b[32m✓\u001b[0m' : '\u001b[31m✗\u001b[0m') : ok ? '✓' : '✗');
    const b = r.backend;
    this.log(`Config:    ${r.configPath}${r.configExists ? '' : ' (not created yet)'}`);
    if (b.kind === 'local') {
      const what = b.exists ? `${b.sessions} session${b.sessions === 1 ? '' : 's'}, ${formatBytes(b.sizeBytes)}` : 'empty, created on first use';
      this.log(`Backend:   local store ${b.storeDir} (${what})`);
    } else if (b.kind === 'http') {
      const who = b.user?.email ?? b.user?.name;
      const key = b.key === 'valid' ? `API key valid${who ? ` (${who})` : ''}` : b.key === 'invalid' ? 'API key rejected — run confab login' : `unreachable: ${b.error ?? ''}`;
      this.log(`Backend:   ${b.url} ${mark(b.key === 'valid')} ${key}${b.source !== 'user' ? ` [from ${b.source}]` : ''}`);
    } else {
      this.log(`Backend:   ${mark(false)} ${b.error}`);
    }
    if (r.redaction !== null) this.log(`Redaction: ${r.redaction ? 'on' : 'off'}`);
    this.log(`Daemons:   ${r.daemons.running} running${r.daemons.stale ? `, ${r.daemons.stale} stale` : ''}`);
    if (r.pending.length) {
      this.log(`Pending:   ${r.pending.length} session(s) not yet fully on the backend; the next hook of any session resumes them`);
      for (const p of r.pending) this.log(`           ${p.session.slice(0, 8)} (${p.provider}) since ${p.since}: ${p.reason}${p.attempts ? `, ${p.attempts} resume attempt(s)` : ''}${p.sessionEndOwed ? ', session end owed' : ''}`);
    }
    this.log('');
    this.log(
      renderTable(
        ['AGENT', 'DETECTED', 'HOOKS', 'DAEMONS'],
        r.providers.map((p) => [
          p.displayName,
          mark(p.detected),
          p.error ? `error: ${p.error}` : p.brokenHooks.length ? `${mark(false)} broken` : mark(p.hooksInstalled),
          String(p.runningDaemons),
        ]),
      ),
    );
    for (const p of r.providers) {
      for (const b of p.brokenHooks) {
        const why = b.problem === 'missing' ? 'which no longer exists' : 'which is in a package cache that may be cleared';
        this.logToStderr(`\n${p.displayName}'s hooks run ${b.program}, ${why}. Repair them with: confab hooks add --provider ${p.provider}`);
      }
    }
    if (r.providers.some((p) => p.detected && p.hooksInstalled === false)) this.logToStderr('\nInstall the missing hooks with: confab setup');
  }
}
