#!/usr/bin/env node
// A Claude Code hook command that records what the client really hands a hook: the exact
// stdin bytes, argv, the time, the process tree above it (from /proc), and whether the
// transcript named in the payload exists yet. It appends one JSON line per call to the file
// named by HOOK_RECORDER_LOG and answers {"continue":true} on stdout.
//
// HOOK_RECORDER_PROBE=1 makes the SessionStart call leave two sleeping node processes behind
// (one detached into its own session, one in the hook's process group) and log their pids,
// so a run can tell which of them survive the hook and the client's exit.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';

const started = Date.now();
const event = process.argv[2] ?? '';

function readStdin() {
  // A hook's stdin is a pipe the client closes after writing the payload.
  for (;;) {
    try {
      return readFileSync(0, 'utf8');
    } catch (err) {
      if (err && err.code === 'EAGAIN') continue;
      if (err && err.code === 'EOF') return '';
      throw err;
    }
  }
}

function procEntry(pid) {
  const entry = { pid };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may itself contain spaces or parentheses.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    entry.comm = stat.slice(open + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    entry.state = rest[0];
    entry.ppid = Number(rest[1]);
    entry.pgid = Number(rest[2]);
    entry.sid = Number(rest[3]);
  } catch (err) {
    entry.error = String(err && err.code ? err.code : err);
    return entry;
  }
  try {
    entry.argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s, i, a) => i < a.length - 1 || s !== '');
  } catch {
    entry.argv = null;
  }
  try {
    entry.exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    entry.exe = null;
  }
  return entry;
}

// Walk up from this process to the process that started the client (HOOK_RECORDER_STOP_PID),
// which is named but not described: what lies above the client is not the client's doing.
function processChain() {
  const stop = Number(process.env.HOOK_RECORDER_STOP_PID ?? 0);
  const chain = [];
  let pid = process.pid;
  for (let i = 0; i < 6 && pid > 1; i++) {
    if (pid === stop) {
      chain.push({ pid, launcher: true });
      break;
    }
    const entry = procEntry(pid);
    chain.push(entry);
    if (!entry.ppid || entry.ppid === pid) break;
    pid = entry.ppid;
  }
  return chain;
}

// Names of every variable the hook inherits; values only for the client's own non-secret
// CLAUDE* and CODEX* variables (the API key is inherited too and must never be written down).
function hookEnv() {
  const names = Object.keys(process.env).sort();
  const claude = {};
  const codex = {};
  for (const name of names) {
    if (/KEY|TOKEN|SECRET|AUTH/.test(name)) continue;
    if (/^CLAUDE/.test(name)) claude[name] = process.env[name];
    if (/^CODEX/.test(name)) codex[name] = process.env[name];
  }
  return { names, claude, codex };
}

// Whether the file exists, its size, and whether it ends on a line boundary: a transcript
// caught mid-write ends inside a line.
function fileFacts(path) {
  if (typeof path !== 'string' || path === '') return null;
  let size;
  try {
    size = statSync(path).size;
  } catch {
    return { exists: false };
  }
  const facts = { exists: true, size };
  if (size > 0) {
    const fd = openSync(path, 'r');
    try {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      facts.endsWithNewline = last[0] === 0x0a;
    } finally {
      closeSync(fd);
    }
  }
  return facts;
}

function spawnProbes() {
  const sleeper = ['-e', 'setTimeout(() => {}, 120000)'];
  const detached = spawn(process.execPath, sleeper, { detached: true, stdio: 'ignore' });
  detached.unref();
  const attached = spawn(process.execPath, sleeper, { stdio: 'ignore' });
  attached.unref();
  return { detachedPid: detached.pid, attachedPid: attached.pid };
}

const raw = readStdin();
function parseOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
const payload = parseOrNull(raw);

const record = {
  event,
  argv: process.argv,
  receivedAt: new Date(started).toISOString(),
  receivedAtMs: started,
  cwd: process.cwd(),
  stdin: raw,
  stdinIsJson: payload !== null,
  transcript: fileFacts(payload && payload.transcript_path),
  agentTranscript: fileFacts(payload && payload.agent_transcript_path),
  processChain: processChain(),
  env: hookEnv(),
};
if (process.env.HOOK_RECORDER_PROBE === '1' && event === 'SessionStart') record.probes = spawnProbes();

const log = process.env.HOOK_RECORDER_LOG;
const append = (obj) => {
  if (log) appendFileSync(log, JSON.stringify(obj) + '\n', { mode: 0o600 });
};
// The call is on record before any delay, so a hook the client cancels still shows up.
append({ phase: 'received', pid: process.pid, ...record });

const delay = Number(process.env[`HOOK_RECORDER_DELAY_MS_${event}`] ?? 0);
if (delay > 0) {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => {
      append({ phase: 'signal', pid: process.pid, event, signal, atMs: Date.now() });
      process.exit(128);
    });
  }
  await new Promise((resolve) => setTimeout(resolve, delay));
  append({ phase: 'finished', pid: process.pid, event, delayMs: delay, atMs: Date.now() });
}
process.stdout.write(JSON.stringify({ continue: true }) + '\n');
