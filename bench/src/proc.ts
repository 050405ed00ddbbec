// Process and machine figures from /proc (Linux): RSS, CPU time, open file limits.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clockTicks: number | undefined;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat. */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface ProcSample {
  pid: number;
  /** Wall-clock milliseconds (performance.now) when read. */
  at: number;
  rssBytes: number;
  /** user + system CPU seconds since the process started. */
  cpuSeconds: number;
}

/** undefined when the process is gone. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: fields after the last ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return {
      pid,
      at: performance.now(),
      rssBytes: rss ? Number(rss[1]) * 1024 : 0,
      cpuSeconds: (utime + stime) / ticksPerSecond(),
    };
  } catch {
    return undefined;
  }
}

/** Sums several processes (a pool of Postgres backends, say) into one sample. */
export function sampleProcesses(pids: readonly number[]): ProcSample {
  const at = performance.now();
  let rssBytes = 0;
  let cpuSeconds = 0;
  for (const pid of pids) {
    const s = sampleProcess(pid);
    if (!s) continue;
    rssBytes += s.rssBytes;
    cpuSeconds += s.cpuSeconds;
  }
  return { pid: pids[0] ?? 0, at, rssBytes, cpuSeconds };
}

/** CPU use in percent of one core between two samples of the same process (or group). */
export function cpuPercent(from: ProcSample, to: ProcSample): number {
  const seconds = (to.at - from.at) / 1000;
  return seconds > 0 ? ((to.cpuSeconds - from.cpuSeconds) / seconds) * 100 : 0;
}

export interface MachineCpuSample {
  busy: number;
  total: number;
  /** Time in processes (user, nice, system): what per-process figures can account for. */
  tasks: number;
  /** Interrupt handling (loopback TCP is mostly softirq), not charged to any process. */
  irq: number;
  steal: number;
}

/** The machine's CPU counters (/proc/stat, all cores). */
export function sampleMachineCpu(): MachineCpuSample {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user.
  const v = (i: number) => values[i] ?? 0;
  const total = v(0) + v(1) + v(2) + v(3) + v(4) + v(5) + v(6) + v(7);
  return { busy: total - v(3) - v(4), total, tasks: v(0) + v(1) + v(2), irq: v(5) + v(6), steal: v(7) };
}

/** A share of all cores between two samples, as percent of one core (200 = both of two cores). */
export function machinePercent(
  from: MachineCpuSample,
  to: MachineCpuSample,
  cores: number,
  part: 'busy' | 'tasks' | 'irq' | 'steal' = 'busy',
): number {
  const total = to.total - from.total;
  return total > 0 ? ((to[part] - from[part]) / total) * 100 * cores : 0;
}

/** Pids whose command name is `name` (e.g. every Postgres backend). */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** The soft and hard RLIMIT_NOFILE of a process. */
export function openFileLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const parse = (v: string | undefined) =>
    v === undefined || v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v);
  return { soft: parse(m?.[1]), hard: parse(m?.[2]) };
}
