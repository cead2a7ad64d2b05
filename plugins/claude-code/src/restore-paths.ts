import type { RestoreRequest } from 'confab-cli/provider';
import { basename, dirname, join, resolve } from 'node:path';
import { agentConfigDir, claudeDir, configDirOfTranscript, projectsDir } from './claude-dir.js';
import { resolveKnownFile, sessionLayout } from './sidechains.js';

/**
 * Where Claude Code looks for a session it resumes: `<config dir>/projects/<project>/<id>.jsonl`,
 * its sub-agents under `<id>/subagents/`. The config dir is the one Claude Code would run
 * from here (`CLAUDE_CONFIG_DIR`, else confab's Claude dir); the project dir is the one the
 * session was synced from (Claude Code's own encoding of its cwd, long paths included),
 * else the cwd encoded as Claude Code does.
 */

// A project dir name Claude Code writes: its encoding leaves letters, digits and dashes.
const PROJECT_DIR = /^[A-Za-z0-9_.-]{1,255}$/;
// Claude Code shortens (and hashes) longer names; those cannot be recomputed from the cwd.
const MAX_ENCODED_CWD = 200;

/** Claude Code's project dir name for a cwd: every character but a letter or digit becomes `-`. */
export function encodeProjectDir(cwd: string): string | undefined {
  const encoded = cwd.replace(/[^A-Za-z0-9]/g, '-');
  return encoded.length > 0 && encoded.length <= MAX_ENCODED_CWD ? encoded : undefined;
}

function projectOf(req: RestoreRequest): string {
  const recorded = req.transcriptPath && configDirOfTranscript(req.transcriptPath) !== undefined ? basename(dirname(req.transcriptPath)) : undefined;
  if (recorded && PROJECT_DIR.test(recorded) && recorded !== '.' && recorded !== '..') return recorded;
  const encoded = req.cwd ? encodeProjectDir(req.cwd) : undefined;
  if (encoded) return encoded;
  throw new Error('the backend does not say which project the session belongs to (no transcript path or cwd)');
}

/** `Provider.restorePaths` for Claude Code. */
export async function claudeRestorePaths(req: RestoreRequest, configDir = agentConfigDir() ?? claudeDir()): Promise<Record<string, string>> {
  const transcriptPath = join(projectsDir(resolve(configDir)), projectOf(req), `${req.externalId}.jsonl`);
  const layout = sessionLayout(transcriptPath);
  const paths: Record<string, string> = {};
  for (const file of req.files) {
    if (file.type === 'transcript') {
      if (file.name === `${req.externalId}.jsonl`) paths[file.name] = transcriptPath;
      continue;
    }
    const known = await resolveKnownFile(layout, file.name);
    if (known && known.type === file.type) paths[file.name] = known.path;
  }
  return paths;
}
