import { Flags } from '@oclif/core';
import { formatAgo, formatBytes, parseDuration, truncate } from '../cli/format.js';
import { scanSessions } from '../cli/local-sessions.js';
import { selectProviders } from '../cli/providers.js';
import { SessionRouter } from '../cli/session-router.js';
import { describeSyncStatus, syncStatuses, type SessionSyncStatus, type SyncState } from '../cli/sync-status.js';
import { loadUserConfig } from '../config/user-config.js';
import { ConfabCommand, renderTable, useColor } from './confab-command.js';

export interface ListedSession {
  id: string;
  provider: string;
  title: string | null;
  project: string;
  lastActivity: string;
  sizeBytes: number;
  transcriptPath: string;
  sync: SessionSyncStatus;
}

const COLORS: Record<SyncState, string> = { synced: '32', partial: '33', 'not-synced': '31', disabled: '90', unknown: '90' };

export default class List extends ConfabCommand {
  static override description =
    "List the agent sessions on this machine, newest first, with how much of each the backend holds (synced, partial 120/300, not synced). Use it to find what `confab save` would back up.";
  static override examples = [
    '<%= config.bin %> list',
    '<%= config.bin %> list --since 5d',
    '<%= config.bin %> list --provider claude-code -d 12h',
    '<%= config.bin %> list --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    provider: Flags.string({ char: 'p', description: 'only this agent (default: every known agent)' }),
    since: Flags.string({ char: 'd', aliases: ['duration'], description: 'only sessions active within this long, e.g. 30m, 12h, 5d' }),
  };

  async run(): Promise<{ sessions: ListedSession[] }> {
    const { flags } = await this.parse(List);
    const sinceMs = flags.since !== undefined ? parseDuration(flags.since) : undefined;
    const providers = await selectProviders(flags.provider);
    // A broken ~/.confab/config.json concerns every session: say so once, up front.
    loadUserConfig();
    const found = await scanSessions(providers, { ...(sinceMs !== undefined ? { sinceMs } : {}), onWarning: (m) => this.logToStderr(`warning: ${m}`) });
    // Listing must stay quick offline: short timeouts, few retries on 429. Each backend's
    // module (an HTTP client, the embedded store) loads only when a session needs it.
    const router = new SessionRouter({
      openBackend: async (s) =>
        s.backend.kind === 'http'
          ? new (await import('../backend/http.js')).HttpBackend({ url: s.backend.url, apiKey: s.backend.apiKey, timeoutMs: 5_000, rateLimitRetries: 2 })
          : (await import('../backend/local.js')).openLocalBackend(),
    });
    let statuses: SessionSyncStatus[];
    try {
      statuses = await syncStatuses(found, router, { onWarning: (m) => this.logToStderr(`warning: ${m}`) });
    } finally {
      await router.close();
    }
    const sessions: ListedSession[] = found.map(({ provider, session }, i) => ({
      id: session.externalId,
      provider: provider.name,
      title: session.title ?? null,
      project: session.project,
      lastActivity: session.lastActivity.toISOString(),
      sizeBytes: session.sizeBytes,
      transcriptPath: session.transcriptPath,
      sync: statuses[i] as SessionSyncStatus,
    }));
    if (!this.jsonEnabled()) this.print(sessions, new Set(sessions.map((s) => s.provider)).size > 1);
    return { sessions };
  }

  private print(sessions: ListedSession[], manyProviders: boolean): void {
    if (sessions.length === 0) {
      this.log('No sessions found.');
      return;
    }
    const color = useColor();
    const paint = (state: SyncState, text: string) => (color ? `\u001b[${COLORS[state]}m${text}\u001b[0m` : text);
    const now = Date.now();
    const headers = ['ID', ...(manyProviders ? ['AGENT'] : []), 'TITLE', 'PROJECT', 'LAST ACTIVITY', 'SIZE', 'SYNC'];
    const rows = sessions.map((s) => [
      s.id.slice(0, 8),
      ...(manyProviders ? [s.provider] : []),
      truncate(s.title ?? '(no title)', 50),
      truncate(s.project, 30),
      formatAgo(new Date(s.lastActivity), now),
      formatBytes(s.sizeBytes),
      describeSyncStatus(s.sync),
    ]);
    const table = renderTable(headers, rows).split('\n');
    this.log(table[0]);
    // Colour after aligning: escape codes would skew the column widths.
    sessions.forEach((s, i) => {
      const line = table[i + 1] ?? '';
      const text = describeSyncStatus(s.sync);
      this.log(line.endsWith(text) ? `${line.slice(0, line.length - text.length)}${paint(s.sync.state, text)}` : line);
    });
    const behind = sessions.filter((s) => s.sync.state === 'partial' || s.sync.state === 'not-synced').length;
    if (behind > 0) this.logToStderr(`\n${behind} session${behind === 1 ? '' : 's'} not fully backed up. Back up one with: confab save <id>   or all: confab save --all`);
  }
}
