// What a process costs, read from /proc (Linux): CPU time and memory.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User + system CPU seconds used so far; 0 once the process is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

function kiBField(file, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident set size in MiB; 0 once the process is gone. */
export const rssMiB = (pid) => kiBField(`/proc/${pid}/status`, 'VmRSS');

/** Anonymous memory (heap, stacks) in MiB: what each further process adds; code pages are shared. */
export const anonMiB = (pid) => kiBField(`/proc/${pid}/status`, 'RssAnon');

/**
 * Proportional set size in MiB: RSS with each shared page divided among the processes that map
 * it. Summed RSS counts the node binary's code (~35 MiB, shared by every node process) once per
 * process; summed PSS is what the processes really cost the machine together.
 */
export const pssMiB = (pid) => kiBField(`/proc/${pid}/smaps_rollup`, 'Pss');
