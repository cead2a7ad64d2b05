import { isDaemonRunning, isParentRunning, listAllStatesDetailed } from './state-store.js';

export interface DaemonStatus {
  session: string;
  provider: string;
  running: boolean;
  pid: number;
  parentPid: number;
  parentRunning: boolean;
  startedAt: string;
  transcriptPath: string;
  statePath: string;
  backendSessionId?: string;
}

/** Every daemon state on disk, with liveness, newest first. */
export async function listDaemonStatuses(): Promise<{ daemons: DaemonStatus[]; invalid: { path: string; error: string }[] }> {
  const { states, invalid } = await listAllStatesDetailed();
  const daemons = states
    .map((s) => ({
      session: s.externalId,
      provider: s.provider,
      running: isDaemonRunning(s),
      pid: s.pid,
      parentPid: s.parentPid,
      parentRunning: isParentRunning(s),
      startedAt: s.startedAt,
      transcriptPath: s.transcriptPath,
      statePath: s.loadedFrom ?? '',
      ...(s.confabSessionId ? { backendSessionId: s.confabSessionId } : {}),
    }))
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
  return { daemons, invalid };
}
