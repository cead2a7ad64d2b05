import type { Logger } from '../log.js';
import type { InboxEvent, ShutdownReason, SyncReport } from '../extension/hook-types.js';
import { consumeInbox, lastSessionEnd, readInboxEvents, type InboxReadResult } from './inbox.js';
import { isSameProcessAlive } from '../process/liveness.js';
import { readPending } from './pending.js';
import { removeReadyMarker } from './readiness.js';
import type { State } from '../format/state.js';
import { removeStateIfOwned, saveState } from './state-store.js';

/**
 * What differs between the ways a daemon runs, chosen once when it is built:
 * - `session`: the background daemon of a live session. It owns the session's state file,
 *   ready marker and inbox, runs until told to stop, and leaves a pending record if lines
 *   are left over.
 * - `drain`: the resume of a pending session. It owns no state and reads no inbox; it stops
 *   once every line is on the backend (or its time is up) and settles the pending record.
 * - `detached`: a daemon run by library code. It owns nothing on disk; its inbox is read but
 *   left in place.
 */
export interface DaemonMode {
  readonly name: 'session' | 'drain' | 'detached';
  /** Record the session's state (again once the backend's session id is known). */
  saveState(state: State): void;
  /** The daemon stops before it ever synced: remove what the spawner wrote naming it. */
  abandon(): Promise<void>;
  /** Called as the cycles start; tells after each cycle whether this mode is done. */
  startCycles(): (report: SyncReport | undefined) => ShutdownReason | undefined;
  /** The session_end to deliver at shutdown, reading the inbox where this mode has one. */
  sessionEnd(inboxPath: string, onInboxEvent: (event: InboxEvent) => void): InboxEvent | undefined;
  /** A session_end an earlier daemon of this session recorded and still owes, unless it is `own`. */
  owedByPredecessor(own: InboxEvent | undefined): InboxEvent | undefined;
  /** Stop claiming the session at shutdown (after the `shutdown` hook). */
  release(state: State | undefined): Promise<void>;
  /** Whether this daemon keeps the session's pending record, and what its run adds to `attempts`. */
  readonly pending: { attempt: number } | undefined;
  /** Whether a session the backend deleted is remembered as deleted. */
  readonly marksDeleted: boolean;
}

export interface ModeContext {
  provider: string;
  externalId: string;
  log: Logger;
}

export interface ModeOptions {
  manageState?: boolean;
  drain?: { sessionEnd?: InboxEvent; maxMs: number };
}

/** The mode the options describe: `drain` wins, then `manageState`. */
export function chooseDaemonMode(opts: ModeOptions, ctx: ModeContext): DaemonMode {
  if (opts.drain) return drainMode(opts.drain, ctx);
  if (opts.manageState) return sessionMode(ctx);
  return detachedMode(ctx);
}

const runForever = () => () => undefined;

function sessionMode(ctx: ModeContext): DaemonMode {
  const { provider, externalId, log } = ctx;
  return {
    name: 'session',
    saveState(state) {
      try {
        saveState(state);
      } catch (err) {
        log.warn('could not save state', { error: errText(err) });
      }
    },
    async abandon() {
      await removeStateIfOwned(provider, externalId, process.pid).catch((err) => {
        log.warn(`could not remove state: ${errText(err)}`);
      });
      removeReadyMarker(provider, externalId, process.pid);
    },
    startCycles: runForever,
    // Consume the inbox now, so a new daemon for the same session (a resumed session starts
    // again under the same id) gets a fresh one while this one does its final sync.
    sessionEnd: (inboxPath, onInboxEvent) => readInboxAtShutdown(() => consumeInbox(inboxPath), onInboxEvent, log),
    owedByPredecessor(own) {
      let rec: ReturnType<typeof readPending>;
      try {
        rec = readPending(provider, externalId);
      } catch {
        return undefined;
      }
      const event = rec?.session_end;
      if (!rec || !event?.hook_input) return undefined;
      if (rec.daemon_pid && (rec.daemon_pid === process.pid || isSameProcessAlive(rec.daemon_pid, rec.daemon_start_time))) return undefined;
      if (own && own.timestamp === event.timestamp && JSON.stringify(own.hook_input) === JSON.stringify(event.hook_input)) return undefined;
      return event;
    },
    async release(state) {
      if (state) {
        try {
          // Only if it still names us: a successor may already own the session.
          if (state.loadedFrom) await removeStateIfOwned(provider, externalId, process.pid);
        } catch (err) {
          log.warn(`could not remove state: ${errText(err)}`);
        }
      }
      removeReadyMarker(provider, externalId, process.pid);
    },
    pending: { attempt: 0 },
    marksDeleted: true,
  };
}

function drainMode(drain: NonNullable<ModeOptions['drain']>, _ctx: ModeContext): DaemonMode {
  return {
    name: 'drain',
    saveState() {},
    async abandon() {},
    startCycles() {
      const deadline = Date.now() + drain.maxMs;
      return (report) => {
        if (report?.complete) return 'drained';
        if (Date.now() >= deadline) return 'drain-timeout';
        return undefined;
      };
    },
    sessionEnd: () => drain.sessionEnd,
    owedByPredecessor: () => undefined,
    async release() {},
    pending: { attempt: 1 },
    marksDeleted: true,
  };
}

function detachedMode(ctx: ModeContext): DaemonMode {
  return {
    name: 'detached',
    saveState() {},
    async abandon() {},
    startCycles: runForever,
    sessionEnd: (inboxPath, onInboxEvent) => readInboxAtShutdown(() => readInboxEvents(inboxPath), onInboxEvent, ctx.log),
    owedByPredecessor: () => undefined,
    async release() {},
    pending: undefined,
    marksDeleted: false,
  };
}

function readInboxAtShutdown(
  read: () => InboxReadResult,
  onInboxEvent: (event: InboxEvent) => void,
  log: Logger,
): InboxEvent | undefined {
  try {
    const { events, skipped } = read();
    if (skipped) log.warn('skipped unreadable inbox lines', { skipped });
    for (const event of events) onInboxEvent(event);
    return lastSessionEnd(events);
  } catch (err) {
    log.warn(`could not read inbox: ${errText(err)}`);
    return undefined;
  }
}

export function errText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}
