import type { Backend, RemoteSession } from '../backend/backend.js';
import { CommandError } from './command-error.js';
import { errorLine } from './format.js';

/** `<session>[:<file>[:<line>]]`, as `confab search` prints it. File names may hold `:`; the line is the last part when it is a number. */
export interface SessionAddress {
  session: string;
  file?: string;
  line?: number;
}

export function parseSessionAddress(text: string): SessionAddress {
  const t = text.trim();
  const first = t.indexOf(':');
  if (first === -1) return { session: t };
  const session = t.slice(0, first);
  let rest = t.slice(first + 1);
  const m = /:(\d+)$/.exec(rest);
  let line: number | undefined;
  if (m) {
    line = Number(m[1]);
    rest = rest.slice(0, m.index);
    if (!(line >= 1)) throw new CommandError(`invalid line in "${text}": lines are numbered from 1`);
  }
  if (!session || !rest) throw new CommandError(`invalid address "${text}": use <session>, <session>:<file> or <session>:<file>:<line>`);
  return line === undefined ? { session, file: rest } : { session, file: rest, line };
}

export interface ShownLines {
  session_id: string;
  file_name: string;
  first_line: number;
  lines: string[];
}

/** The stored lines at an address: one line with `context` lines each side, or the whole file. Default file: the transcript. */
export async function linesAt(backend: Backend, session: RemoteSession, addr: SessionAddress, context = 0): Promise<ShownLines> {
  const fileName = addr.file ?? session.files.find((f) => f.file_type === 'transcript')?.file_name ?? session.files[0]?.file_name;
  if (!fileName || !session.files.some((f) => f.file_name === fileName)) {
    throw new CommandError(`session ${session.session_id} has no file "${addr.file ?? ''}" (files: ${session.files.map((f) => f.file_name).join(', ') || 'none'})`);
  }
  let data: Buffer;
  try {
    data = await backend.downloadFile(session.session_id, fileName);
  } catch (err) {
    throw new CommandError(`${backend.location}: ${errorLine(err)}`);
  }
  const all = data.toString('utf8').split('\n');
  all.pop();
  if (addr.line === undefined) return { session_id: session.session_id, file_name: fileName, first_line: 1, lines: all };
  if (addr.line > all.length) throw new CommandError(`${fileName} of session ${session.session_id} has ${all.length} lines, not ${addr.line}`);
  const from = Math.max(1, addr.line - context);
  const to = Math.min(all.length, addr.line + context);
  return { session_id: session.session_id, file_name: fileName, first_line: from, lines: all.slice(from - 1, to) };
}
