/**
 * The command rewrite for commit and PR links, checked by running the rewritten line in a real
 * shell against stand-in `git` and `gh` programs that record the arguments (and stdin) they get.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkShellCommand, prLinkLine } from '../../src/github/shell-link.js';
import { scanShell } from '../../src/github/shell-scan.js';

const URL = 'https://confab.example/sessions/abc-123';
const TRAILER = `Confab-Link: ${URL}`;
const LINK = prLinkLine(URL);

interface Call {
  prog: string;
  args: string[];
  stdin?: string;
}

const STUB = `#!/bin/sh
n=$(ls "$STUB_LOG" | wc -l)
f="$STUB_LOG/$(printf %04d "$n")"
printf '%s\\0' "\${0##*/}" "$@" > "$f.argv"
for a in "$@"; do
  if [ "$a" = "-" ] || [ "$a" = "--body-file=-" ]; then cat > "$f.stdin"; fi
done
exit 0
`;

/** Run `command` with sh, `git` and `gh` being recorders; the calls they saw, in order. */
function run(command: string): Call[] {
  const dir = mkdtempSync(join(tmpdir(), 'confab-cursor-sh-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'log');
  mkdirSync(bin);
  mkdirSync(log);
  for (const name of ['git', 'gh']) {
    writeFileSync(join(bin, name), STUB);
    chmodSync(join(bin, name), 0o755);
  }
  const res = spawnSync('sh', ['-c', command], { env: { PATH: `${bin}:${process.env.PATH ?? ''}`, STUB_LOG: log }, encoding: 'utf8', cwd: dir });
  expect(res.status, res.stderr).toBe(0);
  return readdirSync(log)
    .filter((f) => f.endsWith('.argv'))
    .sort()
    .map((f) => {
      const [prog, ...args] = readFileSync(join(log, f), 'utf8').split('\0').slice(0, -1);
      const stdinFile = join(log, f.replace('.argv', '.stdin'));
      const call: Call = { prog: prog ?? '', args };
      try {
        call.stdin = readFileSync(stdinFile, 'utf8');
      } catch {
        // no stdin read
      }
      return call;
    });
}

function rewrite(command: string): string {
  return linkShellCommand(command, URL).command;
}

describe('commit trailer', () => {
  it('goes on the commit, not on what follows it in a && chain', () => {
    const calls = run(rewrite('git commit -m "fix: x" && git push origin main'));
    expect(calls).toEqual([
      { prog: 'git', args: ['commit', '-m', 'fix: x', '--trailer', TRAILER] },
      { prog: 'git', args: ['push', 'origin', 'main'] },
    ]);
  });

  it('goes on the commit when its output is piped or redirected', () => {
    expect(run(rewrite('git commit -am wip | tail -n 1'))[0]?.args).toEqual(['commit', '-am', 'wip', '--trailer', TRAILER]);
    expect(run(rewrite('git commit -m wip > out.txt 2>&1; git log'))).toEqual([
      { prog: 'git', args: ['commit', '-m', 'wip', '--trailer', TRAILER] },
      { prog: 'git', args: ['log'] },
    ]);
  });

  it('goes on the commit, not on a gh pr create after it; the PR gets its own link', () => {
    const calls = run(rewrite("git add -A && git commit -m 'feat' && gh pr create --title T --body 'Body'"));
    expect(calls).toEqual([
      { prog: 'git', args: ['add', '-A'] },
      { prog: 'git', args: ['commit', '-m', 'feat', '--trailer', TRAILER] },
      { prog: 'gh', args: ['pr', 'create', '--title', 'T', '--body', `Body\n\n${LINK}`] },
    ]);
  });

  it('keeps several -m paragraphs, || and ; chains, git global options and env assignments', () => {
    const calls = run(rewrite(`GIT_AUTHOR_NAME=x git -C . -c user.name=y commit -m "one" -m "it's two" || echo failed; git status`));
    expect(calls).toEqual([
      { prog: 'git', args: ['-C', '.', '-c', 'user.name=y', 'commit', '-m', 'one', '-m', "it's two", '--trailer', TRAILER] },
      { prog: 'git', args: ['status'] },
    ]);
  });

  it('keeps a here-document message read with -F -', () => {
    const cmd = "git commit -F - <<'EOF'\nSubject\n\nBody with 'quotes' && pipes |\nEOF\ngit push";
    const calls = run(rewrite(cmd));
    expect(calls).toEqual([
      { prog: 'git', args: ['commit', '-F', '-', '--trailer', TRAILER], stdin: "Subject\n\nBody with 'quotes' && pipes |\n" },
      { prog: 'git', args: ['push'] },
    ]);
  });

  it('keeps a message built with $(cat <<EOF …) whose text has quotes and parentheses', () => {
    const cmd = `git commit -m "$(cat <<'EOF'\nFix (the) bug: it's done\nEOF\n)" && git push`;
    expect(run(rewrite(cmd))).toEqual([
      { prog: 'git', args: ['commit', '-m', "Fix (the) bug: it's done", '--trailer', TRAILER] },
      { prog: 'git', args: ['push'] },
    ]);
  });

  it('lands before a trailing comment, and inside a ( ) group', () => {
    expect(run(rewrite('git commit -m x # done'))[0]?.args).toEqual(['commit', '-m', 'x', '--trailer', TRAILER]);
    expect(run(rewrite('(cd . && git commit -m x)'))[0]?.args).toEqual(['commit', '-m', 'x', '--trailer', TRAILER]);
  });

  it('quotes a URL with a single quote in it', () => {
    const odd = "https://confab.example/sessions/it's";
    const calls = run(linkShellCommand('git commit -m x', odd).command);
    expect(calls[0]?.args).toEqual(['commit', '-m', 'x', '--trailer', `Confab-Link: ${odd}`]);
  });

  it('links every commit of the line', () => {
    const out = linkShellCommand('git commit -m a && git commit -m b', URL);
    expect(out.edits).toEqual(['commit-trailer', 'commit-trailer']);
    expect(run(out.command).map((c) => c.args)).toEqual([
      ['commit', '-m', 'a', '--trailer', TRAILER],
      ['commit', '-m', 'b', '--trailer', TRAILER],
    ]);
  });
});

describe('PR body link', () => {
  it('ends a double-quoted body, apostrophes inside it untouched', () => {
    expect(run(rewrite(`gh pr create --title "T" --body "it's fixed"`))[0]?.args).toEqual(['pr', 'create', '--title', 'T', '--body', `it's fixed\n\n${LINK}`]);
  });

  it('ends a heredoc body given with --body "$(cat <<EOF …)"', () => {
    const body = "## Summary\n- it's done (really)\n- \"quoted\"";
    const cmd = `gh pr create --title "T" --body "$(cat <<'EOF'\n${body}\nEOF\n)"`;
    expect(run(rewrite(cmd))[0]?.args).toEqual(['pr', 'create', '--title', 'T', '--body', `${body}\n\n${LINK}`]);
  });

  it('ends the body of --body=, -b, and the last of several bodies', () => {
    expect(run(rewrite('gh pr create --body=short'))[0]?.args).toEqual(['pr', 'create', `--body=short\n\n${LINK}`]);
    expect(run(rewrite("gh pr create -b 'x' -b 'y'"))[0]?.args).toEqual(['pr', 'create', '-b', 'x', '-b', `y\n\n${LINK}`]);
  });

  it('leaves `git checkout -b` before the PR alone', () => {
    expect(run(rewrite("git checkout -b 'feat-x' && gh pr create --title T --body 'B'"))).toEqual([
      { prog: 'git', args: ['checkout', '-b', 'feat-x'] },
      { prog: 'gh', args: ['pr', 'create', '--title', 'T', '--body', `B\n\n${LINK}`] },
    ]);
  });

  it('adds a body when there is none', () => {
    expect(run(rewrite('gh pr create --title T | cat'))[0]?.args).toEqual(['pr', 'create', '--title', 'T', '--body', LINK]);
  });

  it('ends the here-document read by --body-file -', () => {
    const cmd = "gh pr create --title T --body-file - <<'EOF'\nBody $NOT_EXPANDED\nEOF";
    expect(run(rewrite(cmd))[0]).toEqual({ prog: 'gh', args: ['pr', 'create', '--title', 'T', '--body-file', '-'], stdin: `Body $NOT_EXPANDED\n\n${LINK}\n` });
    const dollarUrl = 'https://confab.example/sessions/$x`y`';
    const unquoted = linkShellCommand('gh pr create -F - <<EOF\nBody\nEOF', dollarUrl).command;
    expect(run(unquoted)[0]?.stdin).toBe(`Body\n\n${prLinkLine(dollarUrl)}\n`);
  });

  it('leaves a body file, --fill and --template alone', () => {
    for (const cmd of ['gh pr create --body-file notes.md', 'gh pr create -F notes.md', 'gh pr create --fill', 'gh pr create -T tpl.md --title T']) {
      expect(linkShellCommand(cmd, URL)).toEqual({ command: cmd, edits: [] });
    }
  });
});

describe('left unchanged', () => {
  it('when the link or a marker is already there', () => {
    for (const cmd of [`git commit -m x --trailer 'Confab-Link: ${URL}'`, 'git commit -F msg.txt # confab-linked-0a1f', `gh pr create --body "${LINK}"`]) {
      expect(linkShellCommand(cmd, URL)).toEqual({ command: cmd, edits: [] });
    }
    // Five hex digits is not the marker.
    expect(linkShellCommand('git commit -m x # confab-linked-0a1f2', URL).edits).toEqual(['commit-trailer']);
  });

  it('when git or gh only appear as text, or as another subcommand', () => {
    for (const cmd of ['echo "git commit -m x"', "grep -r 'gh pr create' .", 'git commit-tree HEAD^{tree}', 'git log --grep commit', 'ls && git push', 'gh pr list']) {
      expect(linkShellCommand(cmd, URL)).toEqual({ command: cmd, edits: [] });
    }
  });

  it('when the line has an open quote or an unterminated here-document', () => {
    for (const cmd of ['git commit -m "unterminated', "gh pr create --body-file - <<'EOF'\nno end"]) {
      expect(linkShellCommand(cmd, URL)).toEqual({ command: cmd, edits: [] });
    }
  });

  it('when there is no URL', () => {
    expect(linkShellCommand('git commit -m x', '').edits).toEqual([]);
  });
});

describe('scanShell', () => {
  it('splits at operators outside quotes and substitutions only', () => {
    const { commands, complete } = scanShell(`a "x && y" && b $(c; d) | e 'f;g' 2>&1; h`);
    expect(complete).toBe(true);
    expect(commands.map((c) => c.words.map((w) => w.raw))).toEqual([['a', '"x && y"'], ['b', '$(c; d)'], ['e', "'f;g'"], ['h']]);
    expect(commands[1]?.words[1]?.value).toBeUndefined();
    expect(commands[2]?.words[1]?.value).toBe('f;g');
  });
});
