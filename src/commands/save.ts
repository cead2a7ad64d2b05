import { Args, Flags } from '@oclif/core';
import { SingleBar } from 'cli-progress';
import { errorLine, formatBytes, parseDuration, truncate } from '../cli/format.js';
import { findSession, scanSessions, type FoundSession } from '../cli/local-sessions.js';
import { selectProviders } from '../cli/providers.js';
import { defaultSaveConcurrency, saveSessions, type SaveProgress, type SaveSummary, type SessionSaveResult } from '../cli/save.js';
import { PROCESS_POOL_MIN_BYTES, runSaveWorker, saveSessionsInProcesses } from '../cli/save-processes.js';
import { indexAfterSave } from '../cli/save-index.js';
import { SessionRouter } from '../cli/session-router.js';
import { defaultDaemonWiring } from '../compose/wiring.js';
import { loadUserConfig } from '../config/user-config.js';
import { CommandError, ConfabCommand, useColor } from './confab-command.js';

const OUTCOME_LABEL: Record<SessionSaveResult['outcome'], string> = {
  uploaded: 'uploaded',
  'up-to-date': 'already backed up',
  incomplete: 'incomplete',
  skipped: 'skipped',
  failed: 'failed',
};

export default class Save extends ConfabCommand {
  static override description =
    'Back up sessions now, in one go: finished sessions, sessions from before confab was set up, or all of them. Uploads go to the configured backend with the same redaction and metadata as the background sync; re-running uploads only what is missing.';
  static override examples = [
    '<%= config.bin %> save 0b4c7f5e',
    '<%= config.bin %> save 0b4c7f5e 9d1e22aa --provider claude-code',
    '<%= config.bin %> save --all',
    '<%= config.bin %> save --all --since 30d --json',
    '<%= config.bin %> save --all --jobs 2',
  ];
  static override strict = false;
  static override enableJsonFlag = true;
  // Never from stdin: oclif would otherwise take whatever is piped in as ids (and a worker's tasks).
  static override args = { ids: Args.string({ description: 'session ids (or unique prefixes) from `confab list`', ignoreStdin: true }) };
  static override flags = {
    all: Flags.boolean({ description: 'every session found on this machine (those a running daemon follows are left to it)' }),
    provider: Flags.string({ char: 'p', description: 'only this agent (default: every known agent)' }),
    since: Flags.string({ char: 'd', aliases: ['duration'], description: 'with --all: only sessions active within this long, e.g. 30m, 12h, 5d' }),
    jobs: Flags.integer({
      char: 'j',
      min: 1,
      max: 64,
      description: `sessions saved at once, each in a process of its own when there are several (default: one per core, at most 4, and one per 512 MiB of available memory; processes only when there is over ${PROCESS_POOL_MIN_BYTES / 1024 / 1024} MiB to save)`,
    }),
    // The other end of a multi-process save: tasks on stdin, results on stdout (see save-processes.ts).
    worker: Flags.boolean({ hidden: true }),
  };

  async run(): Promise<SaveSummary | undefined> {
    const { flags, argv } = await this.parse(Save);
    if (flags.worker) {
      await this.runWorker(flags.all);
      return undefined;
    }
    const ids = (argv as string[]).filter((a) => a !== '');
    if (flags.all && ids.length) throw new CommandError('give session ids or --all, not both');
    if (!flags.all && !ids.length) throw new CommandError('give the ids of the sessions to save (see confab list), or --all');
    if (flags.since !== undefined && !flags.all) throw new CommandError('--since applies to --all');
    const sinceMs = flags.since !== undefined ? parseDuration(flags.since) : undefined;

    const providers = await selectProviders(flags.provider);
    // A broken ~/.confab/config.json concerns every session: say so once, up front.
    loadUserConfig();
    const found = await scanSessions(providers, { ...(sinceMs !== undefined ? { sinceMs } : {}), onWarning: (m) => this.logToStderr(`warning: ${m}`) });
    const targets: FoundSession[] = [];
    const unresolved: { id: string; error: string }[] = [];
    if (flags.all) targets.push(...found);
    for (const id of ids) {
      try {
        const match = findSession(found, id);
        if (!targets.includes(match)) targets.push(match);
      } catch (err) {
        unresolved.push({ id, error: errorLine(err) });
      }
    }

    const wiring = defaultDaemonWiring();
    // The embedded store is indexed for search after the save, not as it goes (see indexAfterSave).
    const router = new SessionRouter(wiring, undefined, { deferIndex: true });
    const controller = new AbortController();
    const onSignal = () => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    let summary: SaveSummary;
    const progress = this.jsonEnabled() ? undefined : process.stderr.isTTY ? new BarProgress(targets) : new LineProgress((l) => this.logToStderr(l));
    const jobs = flags.jobs ?? defaultSaveConcurrency();
    const totalBytes = targets.reduce((n, t) => n + t.session.sizeBytes, 0);
    const processes = jobs >= 2 && targets.length >= 2 && (flags.jobs !== undefined || totalBytes >= PROCESS_POOL_MIN_BYTES) ? jobs : 0;
    try {
      const common = { skipLive: flags.all, signal: controller.signal, ...(progress ? { progress } : {}) };
      summary = processes
        ? await saveSessionsInProcesses(targets, { ...common, processes })
        : await saveSessions(targets, { ...common, router, wiring, concurrency: jobs });
    } finally {
      progress?.stop();
      process.off('SIGINT', onSignal);
      await router.close();
    }
    if (controller.signal.aborted) throw new CommandError('interrupted; run the same command again to continue where it stopped', 130);
    summary.searchIndex = await indexAfterSave(summary).catch((err: unknown) => {
      // The lines are stored; the next search catches the index up.
      this.logToStderr(`warning: search index not updated: ${errorLine(err)}`);
      return 'none' as const;
    });
    for (const u of unresolved) {
      summary.results.push({ id: u.id, provider: flags.provider ?? '', outcome: 'failed', backend: '', chunks: 0, lines: 0, bytes: 0, sizeBytes: 0, error: u.error, warnings: [] });
      summary.failed++;
      summary.errors++;
      summary.sessions++;
    }
    if (!this.jsonEnabled()) {
      this.printSummary(summary);
      if (summary.searchIndex === 'background') this.logToStderr('The search index is being updated in the background (confab index update); a search waits for it.');
    }
    if (summary.errors > 0) process.exitCode = 1;
    return summary;
  }

  /** `--worker`: save the sessions a `confab save` sends on stdin, one at a time (see save-processes.ts). */
  private async runWorker(skipLive: boolean): Promise<void> {
    const wiring = defaultDaemonWiring();
    const router = new SessionRouter(wiring, undefined, { deferIndex: true });
    const controller = new AbortController();
    const onSignal = () => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    try {
      await runSaveWorker(process.stdin, process.stdout, { router, wiring, skipLive, signal: controller.signal });
    } finally {
      process.off('SIGINT', onSignal);
      await router.close();
    }
    if (controller.signal.aborted) process.exitCode = 130;
  }

  private printSummary(s: SaveSummary): void {
    if (s.sessions === 0) {
      this.log('No sessions to save.');
      return;
    }
    const color = useColor();
    const bold = (t: string) => (color ? `\u001b[1m${t}\u001b[0m` : t);
    const parts = [`${s.uploaded} uploaded`, `${s.upToDate} already backed up`];
    if (s.skipped) parts.push(`${s.skipped} skipped`);
    if (s.errors) parts.push(`${s.errors} with errors`);
    const head = `${s.errors ? '' : 'Saved '}${s.sessions} session${s.sessions === 1 ? '' : 's'}`;
    this.log(`${bold(head)}: ${parts.join(', ')} — ${s.chunks} chunks, ${s.lines} lines, ${formatBytes(s.bytes)} sent in ${(s.durationMs / 1000).toFixed(1)} s`);
    const failed = s.results.filter((r) => r.outcome === 'failed' || r.outcome === 'incomplete');
    for (const r of failed) this.logToStderr(`✗ ${r.id.length > 12 ? r.id.slice(0, 8) : r.id} ${OUTCOME_LABEL[r.outcome]}: ${r.error ?? 'unknown error'}`);
    if (failed.length) this.logToStderr('Run the same command again to retry: only what is missing is uploaded.');
  }
}

function resultLine(r: SessionSaveResult): string {
  const mark = r.outcome === 'failed' || r.outcome === 'incomplete' ? '✗' : r.outcome === 'skipped' ? '-' : '✓';
  const what =
    r.outcome === 'uploaded'
      ? `uploaded ${r.chunks} chunk${r.chunks === 1 ? '' : 's'}, ${r.lines} lines (${formatBytes(r.bytes)})`
      : r.outcome === 'up-to-date'
        ? 'already backed up'
        : `${OUTCOME_LABEL[r.outcome]}: ${r.error ?? ''}`;
  return `${mark} ${r.id.slice(0, 8)} ${what}${r.title ? `  ${truncate(r.title, 40)}` : ''}`;
}

/** Not a terminal: one plain line per session. */
class LineProgress implements SaveProgress {
  private readonly finished = new Map<number, SessionSaveResult>();
  private printed = 0;
  constructor(private readonly log: (line: string) => void) {}
  // Sessions are saved several at a time; their lines still come in the order of the list.
  onSessionDone(r: SessionSaveResult, i: number, total: number): void {
    this.finished.set(i, r);
    for (let next = this.finished.get(this.printed); next; next = this.finished.get(this.printed)) {
      this.finished.delete(this.printed);
      this.log(`[${++this.printed}/${total}] ${resultLine(next)}`);
    }
  }
  stop(): void {}
}

/** A terminal: one bar over the bytes to read, with sessions, rate and ETA. */
class BarProgress implements SaveProgress {
  private readonly bar: SingleBar;
  private readonly count: number;
  private readonly totalBytes: number;
  private doneBytes = 0;
  /** Bytes read so far of each session in progress (several run at once). */
  private readonly inProgress = new Map<string, { bytes: number; cap: number }>();
  private done = 0;
  private readonly started = Date.now();

  constructor(targets: readonly FoundSession[]) {
    this.totalBytes = Math.max(1, targets.reduce((n, t) => n + t.session.sizeBytes, 0));
    this.bar = new SingleBar({
      format: '{bar} {percentage}% | {sessions} sessions | {transferred} | {rate}/s | ETA {remaining} | {current}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    });
    this.count = targets.length;
    this.bar.start(this.totalBytes, 0, this.payload(this.count, ''));
  }

  private payload(count: number, current: string): Record<string, string> {
    const secs = Math.max(0.001, (Date.now() - this.started) / 1000);
    const value = this.doneBytes + this.sessionBytes();
    const rate = value / secs;
    const left = rate > 0 ? Math.ceil(Math.max(0, this.totalBytes - value) / rate) : undefined;
    const remaining = left === undefined ? '…' : left < 60 ? `${left}s` : `${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s`;
    return { sessions: `${this.done}/${count}`, transferred: formatBytes(value), rate: formatBytes(Math.round(rate)), remaining, current };
  }

  private sessionBytes(): number {
    let n = 0;
    for (const s of this.inProgress.values()) n += s.bytes;
    return n;
  }

  onSessionStart(found: FoundSession): void {
    this.inProgress.set(found.session.externalId, { bytes: 0, cap: found.session.sizeBytes });
    this.bar.update(this.doneBytes + this.sessionBytes(), this.payload(this.count, found.session.externalId.slice(0, 8)));
  }

  onChunk(found: FoundSession, chunk: { bytes: number }): void {
    const s = this.inProgress.get(found.session.externalId);
    if (s) s.bytes = Math.min(s.cap, s.bytes + chunk.bytes);
    this.bar.update(this.doneBytes + this.sessionBytes(), this.payload(this.count, found.session.externalId.slice(0, 8)));
  }

  // Failures are listed in the summary once the bar is gone.
  onSessionDone(r: SessionSaveResult): void {
    this.done++;
    this.doneBytes += r.sizeBytes;
    this.inProgress.delete(r.id);
    this.bar.update(Math.min(this.doneBytes + this.sessionBytes(), this.totalBytes), this.payload(this.count, ''));
  }

  stop(): void {
    this.bar.stop();
  }
}
