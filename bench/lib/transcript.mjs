// Synthetic Claude-Code-shaped transcripts for benchmarks: user prompts, assistant text,
// tool calls and large tool results (file contents, command output), with quotes, escapes
// and non-ASCII, so serialization and escaping cost what they do on real sessions.
import { closeSync, openSync, writeSync } from 'node:fs';

const WORDS = 'the parser reads each line and the engine uploads it exactly once in order while redaction keeps secrets local'.split(' ');

function text(rng, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += `${WORDS[Math.floor(rng() * WORDS.length)]}${i % 17 === 16 ? '.\n' : ' '}`;
  return s;
}

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function* transcriptLines(seed = 42) {
  const rng = mulberry32(seed);
  let i = 0;
  for (;;) {
    i++;
    const uuid = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const base = { parentUuid: null, isSidechain: false, userType: 'external', cwd: '/work/app', sessionId: 'bench', version: '2.1.332', gitBranch: 'main', uuid, timestamp: new Date(1_790_000_000_000 + i * 1000).toISOString() };
    const r = rng();
    if (r < 0.2) yield JSON.stringify({ ...base, type: 'user', message: { role: 'user', content: text(rng, 20 + Math.floor(rng() * 60)) } });
    else if (r < 0.55) yield JSON.stringify({ ...base, type: 'assistant', message: { id: `msg_${i}`, role: 'assistant', model: 'claude-opus-5-5', content: [{ type: 'text', text: `Here is "the plan" — é😀 ${text(rng, 40 + Math.floor(rng() * 200))}` }] } });
    else if (r < 0.75) yield JSON.stringify({ ...base, type: 'assistant', message: { id: `msg_${i}`, role: 'assistant', content: [{ type: 'tool_use', id: `toolu_${i}`, name: 'Bash', input: { command: `grep -rn "needle" src/ | head -${i % 50}`, description: 'search' } }] } });
    else {
      const body = `const x = "${text(rng, 30)}";\n\tif (a < b && c > d) { return '\\\\'; }\n`.repeat(5 + Math.floor(rng() * 60));
      yield JSON.stringify({ ...base, type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: body }] }, toolUseResult: { stdout: body, stderr: '', interrupted: false } });
    }
  }
}

/** Write about `bytes` bytes of transcript to `path`; returns the line count. */
export function writeTranscript(path, bytes, seed = 42) {
  const fd = openSync(path, 'w');
  let written = 0;
  let lines = 0;
  let buf = [];
  let pending = 0;
  for (const line of transcriptLines(seed)) {
    buf.push(line);
    pending += line.length + 1;
    lines++;
    if (pending > 1 << 20) {
      written += writeSync(fd, `${buf.join('\n')}\n`);
      buf = [];
      pending = 0;
      if (written >= bytes) break;
    }
  }
  if (buf.length) writeSync(fd, `${buf.join('\n')}\n`);
  closeSync(fd);
  return lines;
}
