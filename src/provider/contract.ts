/**
 * The provider contract: what a coding agent's provider implements (`Provider`), checked
 * and looked up by name in `registry.ts`; its public entry is `public.ts`.
 */
import type { DaemonHooks } from '../extension/daemon-hooks.js';
import type { SessionIdentity } from '../extension/hook-types.js';

/** The hook commands an agent runs (`confab hook <event>`). */
export type HookEvent = 'session-start' | 'session-end' | 'user-prompt-submit' | 'pre-tool-use' | 'post-tool-use';

export const HOOK_EVENTS: readonly HookEvent[] = [
  'session-start',
  'session-end',
  'user-prompt-submit',
  'pre-tool-use',
  'post-tool-use',
];

/** A hook payload after the provider validated it, in provider-agnostic terms. */
export interface SessionHookInput {
  /** The agent's session id (the backend's external id); `^[A-Za-z0-9_-]+$`. */
  sessionId: string;
  /** Absolute transcript path, validated to lie inside the agent's data dir. */
  transcriptPath: string;
  cwd: string;
  hookEventName?: string;
  /** Agent PID supplied by the payload itself (OpenCode-style); otherwise found by `findParentPid`. */
  parentPid?: number;
  /** The payload as received (validated), forwarded verbatim as the `session_end` event payload. */
  payload: Record<string, unknown>;
}

/** Thrown by providers for bad input; the message is one line, fit for stderr. */
export class HookInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookInputError';
  }
}

export interface HookAnswer {
  suppressOutput?: boolean;
  systemMessage?: string;
  /** pre-tool-use: the tool input to run instead, for agents that let a hook rewrite it (Cursor). */
  updatedToolInput?: Record<string, unknown>;
  /** pre-tool-use: refuse the call, telling the agent why and how to run it instead. */
  denyToolUse?: string;
}

/**
 * A tool call as confab's GitHub linking reads it, in agent-neutral terms (see
 * `Provider.toolCall`): a shell command, or a tool that opens a pull request itself.
 */
export interface ToolCall {
  /** The command line a shell tool runs (Claude Code's and Codex's `Bash`, Cursor's `Shell`). */
  command?: string;
  /** A tool that opens a pull request (the GitHub MCP server's `create_pull_request`): its body. */
  pullRequestBody?: string;
  /** The directory a shell command runs in, when the agent says (default: the session input's cwd). */
  cwd?: string;
  /** post-tool-use: the tool's output as text, where a pull request URL is looked for. */
  output?: string;
  /** post-tool-use: false when the agent reports that the call failed. */
  succeeded?: boolean;
}

/** What `preToolUse` may ask of confab. */
export interface ToolUseContext {
  /**
   * The session's page on its backend (`<backend url>/sessions/<id>`, confab-web or
   * `confab serve`): undefined when the backend is the embedded store, the daemon has not
   * registered the session yet, or `CONFAB_DISABLE_LINK_FROM_GITHUB` is set.
   */
  sessionUrl(): Promise<string | undefined>;
}

/** Where a provider keeps state from before namespacing (Claude Code: `~/.confab/sync/<id>.json`). */
export interface LegacyStatePaths {
  statePath(syncDir: string, externalId: string): string;
  inboxPath(syncDir: string, externalId: string): string;
}

export interface HookInstallOptions {
  /** Absolute path of the `confab` executable the agent should run. */
  command: string;
  /** The agent's config dir override (defaults to the provider's own rule). */
  configDir?: string;
}

export interface HookInstallResult {
  /** The file that was changed. */
  path: string;
  changed: boolean;
}

export interface HookInstaller {
  install(opts: HookInstallOptions): Promise<HookInstallResult>;
  uninstall(opts: Omit<HookInstallOptions, 'command'>): Promise<HookInstallResult>;
  isInstalled(opts?: Omit<HookInstallOptions, 'command'>): Promise<boolean>;
  /**
   * The command lines of confab's hooks installed now (so `confab status` can check that the
   * program each runs still exists). Optional: without it, nothing is checked.
   */
  installedCommands?(opts?: Omit<HookInstallOptions, 'command'>): Promise<string[]>;
}

/** A session found on local disk, for `list` and `save`. */
export interface LocalSession {
  provider: string;
  externalId: string;
  transcriptPath: string;
  /** Project label (Claude Code: the encoded project dir). */
  project: string;
  title?: string;
  lastActivity: Date;
  sizeBytes: number;
  /** cwd to report when uploading it with `save`. */
  cwd: string;
}

export interface SessionScanOptions {
  /** Problems that skipped part of the scan (an unreadable directory…), worth a warning; the scan goes on. */
  onWarning?(message: string): void;
}

export interface SessionCatalog {
  /** Every session on disk, newest first. */
  scan(opts?: SessionScanOptions): Promise<LocalSession[]>;
}

/** A stored session, as `confab restore` describes it to its provider. */
export interface RestoreRequest {
  externalId: string;
  /** The transcript path the session was last synced from, when the backend says. */
  transcriptPath?: string;
  cwd?: string;
  /** The stored files, by backend file name and type (`transcript`, `agent`…). */
  files: ReadonlyArray<{ name: string; type: string }>;
}

/**
 * Where the agent keeps a stored session's files, so `confab restore` can put them back for
 * the agent to resume: the absolute local path of each backend file name. A file it cannot
 * place is left out (confab then asks for `--to`); throw an error with a one-line reason when
 * the session cannot be placed at all.
 */
export type RestorePaths = (req: RestoreRequest) => Promise<Record<string, string>>;

/** What `apply` receives: the daemon's hooks, plus the session it serves. */
export interface ProviderApplyContext {
  hooks: DaemonHooks;
  provider: string;
  externalId: string;
  transcriptPath: string;
  cwd: string;
}

/**
 * A provider plugin: a plain object, Vite-plugin style. Only `name`, `parseHookInput` and
 * `hookResponse` are required; everything else is optional and core falls back to a
 * neutral default.
 */
export interface Provider {
  /** Canonical name, used in state paths, `--provider` and the wire (`claude-code`). */
  name: string;
  displayName?: string;
  /** Legacy state layout to read, stop and reap besides `~/.confab/sync/<name>/`. */
  legacyPaths?: LegacyStatePaths;
  /** Hook events this provider's agent fires; others answer with an error note. Default: all. */
  events?: readonly HookEvent[];
  /**
   * How long a new daemon waits for the transcript to appear. `bounded` (the default): 60 s,
   * then it gives up. `while-agent-runs`: as long as the agent process runs — for providers
   * whose transcript is a file confab writes itself in a `refresh` tap (from a database), which
   * appears only once the session has a finished message.
   */
  transcriptWait?: 'bounded' | 'while-agent-runs';

  /** Validate a hook payload. Throw `HookInputError` with a one-line message on bad input. */
  parseHookInput(event: HookEvent, payload: unknown, opts: { validateTranscript: boolean }): SessionHookInput;
  /** The JSON object the agent expects on stdout for this event. */
  hookResponse(event: HookEvent, answer: HookAnswer): unknown;

  /**
   * Map a hook's session to the session its daemon serves, before `shouldSpawn` and the
   * daemon lookup. For agents whose sub-agents fire their own session hooks (Codex), this
   * walks up to the root so one daemon serves the whole tree, keyed by the root's id.
   * Default: the input unchanged.
   */
  resolveRoot?(input: SessionHookInput): Promise<SessionHookInput>;
  /**
   * pre-tool-use: look at a tool call before it runs; the answer goes to `hookResponse`
   * (e.g. `updatedToolInput` to run a rewritten command). Default: nothing to say.
   */
  preToolUse?(input: SessionHookInput, ctx: ToolUseContext): Promise<HookAnswer>;
  /**
   * pre-tool-use / post-tool-use: what the tool call runs, for linking the session to the
   * commits and pull requests it makes; undefined for a tool that cannot make any. Must be
   * cheap: it runs at every tool call. Without it (or with `preToolUse`, which takes over
   * pre-tool-use), confab links nothing for this agent on that event.
   */
  toolCall?(event: 'pre-tool-use' | 'post-tool-use', input: SessionHookInput): ToolCall | undefined;
  /** Decide whether a hook should start a daemon for this input (e.g. user sessions only). */
  shouldSpawn?(input: SessionHookInput): boolean | Promise<boolean>;
  /** The agent process to watch; 0 disables parent monitoring. */
  findParentPid?(): Promise<number>;
  /** Tap the daemon's hooks: sidechain discovery, chunk metadata, init metadata. */
  apply?(ctx: ProviderApplyContext): void;

  /**
   * The agent's config dirs, for per-config-dir backends (`bindings` in
   * `~/.confab/config.json`): the dir a session's transcript belongs to (undefined when its
   * path does not tell), and the default dir, whose sessions use the top-level backend.
   * Absent: every session of this agent uses the top-level backend.
   */
  configDirs?: AgentConfigDirs;

  /** Is the agent installed on this machine? */
  detect?(): Promise<boolean>;
  /** Installs and removes confab's hook commands in the agent's settings (`confab hooks add`). */
  hookInstaller?: HookInstaller;
  /**
   * @deprecated The old name of `hookInstaller`, still read for one release when
   * `hookInstaller` is absent. Not the daemon's tapable hooks (those are `ctx.hooks` in `apply`).
   */
  hooks?: HookInstaller;
  sessions?: SessionCatalog;
  /** Where `confab restore` writes a stored session back. Absent: only `--to DIR`. */
  restorePaths?: RestorePaths;
}

export interface AgentConfigDirs {
  /** The dir used when the agent is not told another one. */
  default(): string;
  /** The config dir a session with this transcript runs from, or undefined when the path does not tell. */
  ofTranscript(transcriptPath: string): string | undefined;
}

/** The provider's hook installer: `hookInstaller`, else the deprecated `hooks`. */
export function hookInstallerOf(provider: Pick<Provider, 'hookInstaller' | 'hooks'>): HookInstaller | undefined {
  return provider.hookInstaller ?? provider.hooks;
}

/** Identity helper that gives a provider object full typing. */
export function defineProvider<P extends Provider>(provider: P): P {
  return provider;
}

/** The daemon a plugin's (or a project config's) `apply` taps: its hooks and the session it serves. */
export interface DaemonHandle {
  readonly hooks: DaemonHooks;
  /** The session this daemon serves. */
  readonly config: Readonly<SessionIdentity>;
}

/**
 * A plugin's `apply` export: runs in every session's daemon, after the session provider's own
 * taps and before the project config's `apply`. Tap `daemon.hooks` here.
 */
export type PluginApply = (daemon: DaemonHandle) => void | Promise<void>;

