/**
 * A daemon's state file (`~/.confab/sync/<provider>/<external_id>.json`), in memory.
 * On disk it uses exactly the Go CLI's JSON keys; see state-file.ts for the codec.
 */
export interface State {
  provider: string;
  externalId: string;
  transcriptPath: string;
  cwd: string;
  /** Daemon PID. */
  pid: number;
  /** Agent PID the daemon watches; 0 when monitoring is off. */
  parentPid: number;
  inboxPath: string;
  /** RFC 3339, as written (Go's nanosecond/offset form or JS's millisecond `Z` form). */
  startedAt: string;
  /** Backend session id, once init succeeded. */
  confabSessionId?: string;
  /**
   * Start time of the daemon process as the OS reports it, to tell a live daemon from an
   * unrelated process that reused its PID. An extra key the Go CLI ignores.
   */
  pidStartTime?: string;
  /** The file this state was read from; deleting the state removes that file. Not serialized. */
  loadedFrom?: string;
}
