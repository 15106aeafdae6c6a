import { readdirSync, readFileSync } from 'node:fs';

const TICK = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return 0;
  }
}

/** Resident set size in bytes; 0 once the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The direct children of a process. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Tracks CPU use of a set of processes over a window: utilisation as a fraction of one core. */
export class CpuWindow {
  private start: number[] = [];
  private startedAt = 0;

  constructor(private readonly pids: () => number[]) {}

  begin(): void {
    this.startedAt = performance.now();
    this.start = this.pids().map(cpuSeconds);
  }

  /** Cores used on average since begin(), summed over the processes. */
  end(): number {
    const wall = (performance.now() - this.startedAt) / 1000;
    const now = this.pids().map(cpuSeconds);
    let used = 0;
    for (let i = 0; i < now.length; i++) used += (now[i] as number) - (this.start[i] ?? 0);
    return wall > 0 ? used / wall : 0;
  }
}

/** The 1-minute load average. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
