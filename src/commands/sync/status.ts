import { listDaemonStatuses, type DaemonStatus } from '../../daemon/status.js';
import { ConfabCommand, renderTable } from '../confab-command.js';

export default class SyncStatus extends ConfabCommand {
  static override description = 'Show every sync daemon confab knows of: session, provider, whether it is running, PID, start time and transcript.';
  static override examples = ['<%= config.bin %> sync status', '<%= config.bin %> sync status --json'];
  static override enableJsonFlag = true;

  async run(): Promise<{ daemons: DaemonStatus[] }> {
    await this.parse(SyncStatus);
    const { daemons, invalid } = await listDaemonStatuses();
    for (const bad of invalid) this.warn(`skipped ${bad.error}`);
    if (!this.jsonEnabled()) {
      if (daemons.length === 0) this.log('No sync daemons.');
      else {
        this.log(
          renderTable(
            ['SESSION', 'PROVIDER', 'STATUS', 'PID', 'STARTED', 'TRANSCRIPT'],
            daemons.map((d) => [d.session.slice(0, 8), d.provider, d.running ? 'running' : 'not running (stale)', String(d.pid), d.startedAt, d.transcriptPath]),
          ),
        );
      }
    }
    return { daemons };
  }
}
