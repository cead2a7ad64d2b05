/**
 * GitHub linking from the tool hooks: before a commit or a pull request is made, make sure
 * it will carry the session's link (pre-tool-use); after it was made, record the commit or
 * pull request on the session at its backend (post-tool-use).
 *
 * Loaded by the hook only for a tool call that may commit, push or open a PR: everything
 * here (settings, git, the backends) stays off the path of every other tool call.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Backend } from '../backend/backend.js';
import { BackendError, isBackendError } from '../backend/errors.js';
import { resolveSettings, type BackendChoice, type Settings } from '../config/settings.js';
import { bindingTarget } from '../daemon/binding.js';
import { loadStateForProvider } from '../daemon/state-store.js';
import type { Logger } from '../log.js';
import type { HookAnswer, Provider, SessionHookInput, ToolCall } from '../provider/contract.js';
import { githubCommands, hasSessionLink, linkShellCommand, prLinkLine } from '../github/shell-link.js';
import { commitUrl, githubRepoUrl, pullRequestUrlIn } from '../github/urls.js';

export interface LinkHookContext {
  provider: Provider;
  input: SessionHookInput;
  log: Logger;
  /** One line on the agent's stderr (never a payload). */
  note(text: string): void;
}

/** The session on its backend, as the session's daemon talks to it. */
export interface SessionTarget {
  backend: BackendChoice;
  /** The backend's id of the session. */
  sessionId: string;
}

/** Hooks must answer promptly: a backend that does not answer within this is given up on. */
const REQUEST_TIMEOUT_MS = 10_000;
const GIT_TIMEOUT_MS = 5_000;

/** `CONFAB_DISABLE_LINK_FROM_GITHUB` set to anything non-empty turns linking off. */
export function linkingDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.CONFAB_DISABLE_LINK_FROM_GITHUB);
}

function errText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

async function openBackend(choice: BackendChoice): Promise<Backend> {
  if (choice.kind === 'http') {
    const { HttpBackend } = await import('../backend/http.js');
    return new HttpBackend({ url: choice.url, apiKey: choice.apiKey, timeoutMs: REQUEST_TIMEOUT_MS, rateLimitRetries: 1 });
  }
  const { openLocalBackend } = await import('../backend/local.js');
  return openLocalBackend();
}

/**
 * The settings the session's daemon uses: those of the cwd it was started in (its state
 * records it; the agent's cwd may have moved since), with the backend binding of the agent
 * config dir its transcript belongs to.
 */
async function daemonSettings(provider: Provider, cwd: string, transcriptPath: string): Promise<Settings> {
  const settings = await resolveSettings({ cwd });
  const binding = bindingTarget({ transcript_path: transcriptPath }, provider, settings);
  return binding ? resolveSettings({ cwd, binding }) : settings;
}

/**
 * Which backend session a hook's session is: the id the daemon recorded in its state after it
 * registered the session (the backend's answer to init, which events are sent to as well),
 * else the session the backend holds under this agent session's id (a daemon that has not
 * recorded it, or has already stopped). Undefined when the backend has no such session yet.
 */
export async function sessionTarget(ctx: LinkHookContext, opts: { askBackend: boolean }): Promise<SessionTarget | undefined> {
  const root = ctx.provider.resolveRoot ? await ctx.provider.resolveRoot(ctx.input).catch(() => ctx.input) : ctx.input;
  const state = await loadStateForProvider(ctx.provider, root.sessionId);
  const settings = await daemonSettings(ctx.provider, state?.cwd || root.cwd, state?.transcriptPath || root.transcriptPath);
  if (!settings.enabled) {
    ctx.log.info('sync is disabled for this project: tool call not linked', { config: settings.projectFile });
    return undefined;
  }
  if (state?.confabSessionId) return { backend: settings.backend, sessionId: state.confabSessionId };
  if (!opts.askBackend) {
    ctx.log.info('no backend session yet: tool call not linked', { session: root.sessionId });
    return undefined;
  }
  const backend = await openBackend(settings.backend);
  try {
    const session = await backend.getSession(root.sessionId);
    if (session.external_id === root.sessionId && session.provider === ctx.provider.name) return { backend: settings.backend, sessionId: session.session_id };
  } catch (err) {
    if (!isBackendError(err, 'not-found')) throw err;
  } finally {
    await backend.close();
  }
  ctx.log.info('the backend has no session for this agent session yet: tool call not linked', { session: root.sessionId });
  return undefined;
}

/** `<backend>/sessions/<id>` for a backend with web pages (confab-web, `confab serve`); never the embedded store. */
export function webUrlOf(target: SessionTarget | undefined): string | undefined {
  return target?.backend.kind === 'http' ? `${target.backend.url}/sessions/${encodeURIComponent(target.sessionId)}` : undefined;
}

/** The session's page, for providers that add the link themselves (`ToolUseContext.sessionUrl`). */
export async function sessionWebUrl(ctx: LinkHookContext): Promise<string | undefined> {
  if (linkingDisabled()) return undefined;
  return webUrlOf(await sessionTarget(ctx, { askBackend: false }));
}

/** A marker an agent may add to a command whose link is in a file confab does not read. */
function newMarker(): string {
  return `# confab-linked-${randomBytes(2).toString('hex')}`;
}

/** The reason a shell command that commits or opens a PR without the session's link is refused. */
export function shellDenyReason(command: string, url: string): string | undefined {
  const found = githubCommands(command);
  if (!found.commit && !found.prCreate) return undefined;
  if (hasSessionLink(command, url)) return undefined;
  const what = [found.commit ? `a \`Confab-Link: ${url}\` trailer on the commit` : '', found.prCreate ? `the line \`${prLinkLine(url)}\` at the end of the pull request body` : '']
    .filter(Boolean)
    .join(' and ');
  const linked = linkShellCommand(command, url);
  const lines = [
    `confab links this session to the commits and pull requests it makes. Run the command again with ${what}.`,
    `It is a link to this coding session, not an issue or ticket reference: copy it exactly.`,
  ];
  if (linked.edits.length > 0) lines.push(`For example:\n${linked.command}`);
  lines.push(
    `If the message or body comes from a file (-F, --body-file), put the link in the file and end the command with the comment \`${newMarker()}\` so it is not refused again.`,
  );
  return lines.join('\n');
}

/** The reason a pull request tool call (GitHub MCP) without the session's link is refused. */
export function pullRequestDenyReason(body: string, url: string): string | undefined {
  if (body.includes(url)) return undefined;
  return `confab links this session to the pull requests it opens. Call the tool again with this line added at the end of the body:\n\n${prLinkLine(url)}\n\nIt is a link to this coding session, not an issue or ticket reference: copy it exactly.`;
}

/**
 * pre-tool-use for agents that cannot rewrite a call: refuse a commit or a PR that lacks the
 * session's link, with the command to run instead. Only where the session has a web page; a
 * call that carries the link gets no answer at all, so the agent's own permission rules
 * decide on it (an explicit allow would skip them).
 */
export async function preToolUseLink(ctx: LinkHookContext, call: ToolCall): Promise<HookAnswer> {
  const url = await sessionWebUrl(ctx);
  if (!url) return {};
  const reason = call.pullRequestBody !== undefined ? pullRequestDenyReason(call.pullRequestBody, url) : call.command !== undefined ? shellDenyReason(call.command, url) : undefined;
  if (!reason) return {};
  ctx.log.info('tool call refused until it carries the session link', { session: ctx.input.sessionId });
  return { denyToolUse: reason };
}

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile('git', ['-C', cwd, ...args], { timeout: GIT_TIMEOUT_MS, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (err, stdout) =>
      err ? reject(new Error(`git ${args[0]} failed in ${cwd}`)) : resolvePromise(stdout.trim()),
    );
  });
}

/** The commit HEAD points at in `dir`, on its github.com `origin`; undefined for another remote. */
export async function headCommitUrl(dir: string): Promise<string | undefined> {
  const remote = await git(dir, ['config', '--get', 'remote.origin.url']).catch(() => '');
  const repo = githubRepoUrl(remote);
  if (!repo) return undefined;
  return commitUrl(repo, await git(dir, ['rev-parse', 'HEAD']));
}

/** The links a finished tool call made: its pull request, and the commit it made or pushed. */
export async function linksOfToolCall(call: ToolCall, cwd: string, log: Logger): Promise<string[]> {
  const urls: string[] = [];
  const output = call.output ?? '';
  if (call.pullRequestBody !== undefined) {
    const pr = pullRequestUrlIn(output);
    if (pr) urls.push(pr);
    return urls;
  }
  if (call.command === undefined) return urls;
  const found = githubCommands(call.command);
  if (found.prCreate) {
    const pr = pullRequestUrlIn(output);
    if (pr) urls.push(pr);
  }
  if ((found.commit || found.push) && call.succeeded !== false) {
    if (found.gitDir === undefined) log.info('cannot tell which repository the command committed in: commit not linked');
    else if (!cwd || !isAbsolute(cwd)) log.info('the tool call has no absolute cwd: commit not linked');
    else {
      const url = await headCommitUrl(resolve(cwd, found.gitDir)).catch((err: unknown) => {
        log.info(`commit not linked: ${errText(err)}`);
        return undefined;
      });
      if (url) urls.push(url);
    }
  }
  return urls;
}

/** `POST /api/v1/sessions/{id}/github-links`, `source: cli_hook`; a link the backend already has is fine. */
export async function recordLinks(target: SessionTarget, urls: readonly string[], log: Logger): Promise<number> {
  const backend = await openBackend(target.backend);
  let recorded = 0;
  try {
    for (const url of urls) {
      try {
        await backend.recordGithubLink(target.sessionId, { url, source: 'cli_hook' });
        recorded++;
        log.info('GitHub link recorded', { session: target.sessionId, url });
      } catch (err) {
        if (isBackendError(err, 'conflict')) {
          recorded++;
          log.info('GitHub link already recorded', { session: target.sessionId, url });
        } else throw err;
      }
    }
  } finally {
    await backend.close();
  }
  return recorded;
}

/**
 * post-tool-use: record the commit or pull request a finished tool call made on the
 * session. Never throws for a backend problem: the agent's work goes on; the problem is one
 * note and one log line.
 */
export async function postToolUseLink(ctx: LinkHookContext, call: ToolCall): Promise<void> {
  const urls = await linksOfToolCall(call, call.cwd || ctx.input.cwd, ctx.log);
  if (urls.length === 0) return;
  try {
    const target = await sessionTarget(ctx, { askBackend: true });
    if (target) await recordLinks(target, urls, ctx.log);
  } catch (err) {
    const message = err instanceof BackendError ? err.message : errText(err);
    ctx.log.warn(`could not record a GitHub link: ${message}`, { session: ctx.input.sessionId });
    ctx.note(`could not link the session to GitHub: ${message}`);
  }
}
