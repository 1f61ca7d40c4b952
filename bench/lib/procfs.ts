import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { round } from './stats';

/** Linux /proc readings for benchmark reports: memory and CPU of our children, load on the machine. */

let clockTicks: number | undefined;
/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux in practice). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface Memory {
  /** Resident set size now (VmRSS), MiB. */
  rss_mib: number;
  /** Peak resident set size so far (VmHWM), MiB. */
  peak_rss_mib: number;
}

/** VmRSS / VmHWM of `pid`, or undefined when it is gone. */
export function memoryOf(pid: number): Memory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss_mib: round(kib('VmRSS') / 1024, 1), peak_rss_mib: round(kib('VmHWM') / 1024, 1) };
}

function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    // [0] = the command (field 2), [1] = the state (field 3): field n is at index n - 2
    return [stat.slice(stat.indexOf('(') + 1, close), ...stat.slice(close + 2).split(' ')];
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) `pid` has used so far, in ms; undefined when it is gone. */
export function cpuMsOf(pid: number): number | undefined {
  const f = statFields(pid);
  if (!f) return undefined;
  // utime = field 14, stime = field 15
  return ((Number(f[12]) + Number(f[13])) * 1000) / ticksPerSecond();
}

/** Whole-machine CPU counters from /proc/stat: busy and total ticks over all cores. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0); // user … steal (guest is inside user)
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** Share of all cores busy between two machineTicks() readings, 0..1. */
export function busyShare(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return b.total > a.total ? round((b.busy - a.busy) / (b.total - a.total), 3) : NaN;
}

export const loadAverage = () => loadavg().map((l) => round(l, 2)) as [number, number, number];

export interface BusyProcess {
  pid: number;
  command: string;
  /** Share of one core over the window, e.g. 0.85 = 85 % of a core. */
  cores: number;
}

export interface CpuSnapshot {
  at: number;
  ticks: Map<number, { command: string; ticks: number }>;
}

/** CPU ticks of every process now: diff two with busiestBetween(). */
export function cpuSnapshot(): CpuSnapshot {
  const ticks = new Map<number, { command: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (!f) continue;
    ticks.set(Number(entry), { command: f[0] ?? '?', ticks: Number(f[12]) + Number(f[13]) });
  }
  return { at: performance.now(), ticks };
}

function commandLine(pid: number, fallback: string): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return (cmd || fallback).slice(0, 120);
  } catch {
    return fallback;
  }
}

/** The processes that used the most CPU between two snapshots, except `exclude`. */
export function busiestBetween(
  a: CpuSnapshot,
  b: CpuSnapshot,
  top = 8,
  exclude: number[] = [],
): BusyProcess[] {
  const seconds = (b.at - a.at) / 1000;
  const busy: BusyProcess[] = [];
  for (const [pid, { command, ticks }] of b.ticks) {
    if (exclude.includes(pid)) continue;
    const delta = ticks - (a.ticks.get(pid)?.ticks ?? 0); // a process started in between: all of it
    if (delta <= 0) continue;
    busy.push({ pid, command, cores: round(delta / ticksPerSecond() / seconds, 2) });
  }
  return busy
    .sort((x, y) => y.cores - x.cores)
    .slice(0, top)
    .map((p) => ({ ...p, command: commandLine(p.pid, p.command) }));
}

/** The processes using the most CPU over the next `windowMs` (what else runs on the machine). */
export async function busiestProcesses(windowMs = 2_000, top = 8): Promise<BusyProcess[]> {
  const before = cpuSnapshot();
  await new Promise((r) => setTimeout(r, windowMs));
  return busiestBetween(before, cpuSnapshot(), top);
}
