import { readFileSync } from 'node:fs';

/** CPU time a process has used so far, in seconds (user + system, from /proc). */
export function processCpuSeconds(pid: number): number {
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy and total CPU time of the whole machine so far, in seconds (all cores, from /proc/stat). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / CLOCK_TICKS, total: (busy + idle + iowait) / CLOCK_TICKS };
}

/** Measures what a stretch of work costs in CPU: per process, and how busy the machine was. */
export class CpuMeter {
  private readonly processStart: Map<number, number>;
  private readonly machineStart = machineCpuSeconds();
  private readonly startedAt = performance.now();

  constructor(private readonly pids: Record<string, number>) {
    this.processStart = new Map(Object.values(pids).map((pid) => [pid, processCpuSeconds(pid)]));
  }

  /** Each process's share of one core, and the machine's busy share of all its cores, in per cent. */
  read(): { processes: Record<string, number>; machineBusy: number } {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const processes = Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => [name, (100 * (processCpuSeconds(pid) - this.processStart.get(pid)!)) / seconds]),
    );
    const machine = machineCpuSeconds();
    const machineBusy = (100 * (machine.busy - this.machineStart.busy)) / (machine.total - this.machineStart.total);
    return { processes, machineBusy };
  }

  /** "api 35%, worker 80% of a core; machine 96% busy" */
  describe(): string {
    const { processes, machineBusy } = this.read();
    const parts = Object.entries(processes).map(([name, share]) => `${name} ${share.toFixed(0)}%`);
    return `${parts.join(', ')} of a core; machine ${machineBusy.toFixed(0)}% busy`;
  }
}

// USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
const CLOCK_TICKS = 100;
