/**
 * Request and response bodies of confab-web's CLI sync API, field for field
 * (see confab-web-api.md §3). Every backend — HTTP or embedded — speaks these shapes,
 * so the engine never knows which one it talks to.
 */

export const PROVIDERS_KNOWN_TO_CONFAB_WEB = ['claude-code', 'codex', 'opencode', 'cursor'] as const;

export type FileType = 'transcript' | 'agent' | 'workflow_journal';

export interface GitRemote {
  name: string;
  fetch_url: string;
  push_url: string;
}

/** Either a complete object or absent from the request — never `null` (it would overwrite the stored value). */
export interface GitInfo {
  repo_url?: string;
  branch?: string;
  commit_sha?: string;
  commit_message?: string;
  author?: string;
  is_dirty: boolean;
  remotes?: GitRemote[];
  tracking_remote?: string;
}

export interface InitMetadata {
  cwd?: string;
  git_info?: GitInfo;
  hostname?: string;
  username?: string;
}

export interface InitRequest {
  provider: string;
  external_id: string;
  transcript_path: string;
  metadata?: InitMetadata;
}

export interface InitResponse {
  session_id: string;
  provider?: string;
  files: Record<string, { last_synced_line: number }>;
}

export interface CodexRolloutMetadata {
  thread_uuid: string;
  parent_thread_uuid?: string;
  rollout_path: string;
  cwd?: string;
  model?: string;
  source?: string;
  thread_source?: string;
  agent_path?: string;
  agent_role?: string;
  agent_nickname?: string;
}

export interface ChunkMetadata {
  git_info?: GitInfo;
  summary?: string;
  first_user_message?: string;
  codex_rollout?: CodexRolloutMetadata;
  latest_message_at?: string;
  created_at?: string;
  model?: string;
}

export interface ChunkRequest {
  session_id: string;
  file_name: string;
  file_type: FileType;
  first_line: number;
  lines: string[];
  metadata?: ChunkMetadata;
}

export interface ChunkResponse {
  last_synced_line: number;
}

export interface EventRequest {
  session_id: string;
  event_type: 'session_end';
  /** RFC 3339: when the inbox event was written, not when it is sent. */
  timestamp: string;
  payload?: unknown;
}

/** Missing keys mean "not supported". Both spellings of the OpenCode flag are accepted on read. */
export interface Capabilities {
  workflow_files: boolean;
  workflow_journal: boolean;
  opencode_subagents: boolean;
}

export interface RemoteFile {
  file_name: string;
  file_type: string;
  last_synced_line: number;
  updated_at?: string;
}

/** `POST /api/v1/sessions/{id}/github-links`: link a session to a commit or pull request. */
export interface CreateGithubLinkRequest {
  /** `https://github.com/<o>/<r>/pull/<n>` or `…/commit/<sha>`. */
  url: string;
  title?: string;
  /** `cli_hook` from hooks, `manual` from a person. */
  source: 'cli_hook' | 'manual';
}
