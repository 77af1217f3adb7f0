import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * CPU and memory of another process, read from /proc (Linux). CPU is user + system time of the
 * process itself; memory is the resident set (VmRSS) and its peak (VmHWM).
 */
export interface ProcSample {
  /** performance.now() when read. */
  at: number;
  cpuMs: number;
  rssMb: number;
  peakRssMb: number;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** undefined once the process is gone (or off Linux). */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return {
      at: performance.now(),
      cpuMs: ((utime + stime) * 1000) / clockTicks(),
      rssMb: round1(kb('VmRSS') / 1024),
      peakRssMb: round1(kb('VmHWM') / 1024),
    };
  } catch {
    return undefined;
  }
}

export interface Usage {
  wallMs: number;
  cpuMs: number;
  /** CPU time over wall time, in percent of one core. */
  cpuPercent: number;
  rssMb: number;
  peakRssMb: number;
}

/** What a process used between two samples. */
export function usageBetween(start: ProcSample | undefined, end: ProcSample | undefined): Usage {
  if (!start || !end) return { wallMs: 0, cpuMs: 0, cpuPercent: 0, rssMb: 0, peakRssMb: 0 };
  const wallMs = end.at - start.at;
  const cpuMs = end.cpuMs - start.cpuMs;
  return {
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpuMs),
    cpuPercent: wallMs > 0 ? Math.round((cpuMs / wallMs) * 1000) / 10 : 0,
    rssMb: end.rssMb,
    peakRssMb: end.peakRssMb,
  };
}

/** Samples a process every `everyMs` so that the highest RSS seen between calls is known. */
export class ProcessWatch {
  private timer: NodeJS.Timeout | undefined;
  private highest = 0;

  constructor(
    readonly pid: number,
    everyMs = 250,
  ) {
    this.timer = setInterval(() => this.take(), everyMs);
    this.timer.unref();
  }

  take(): ProcSample | undefined {
    const sample = sampleProcess(this.pid);
    if (sample && sample.rssMb > this.highest) this.highest = sample.rssMb;
    return sample;
  }

  /** Highest RSS seen since the last reset (VmHWM covers the whole life of the process). */
  highestRssMb(): number {
    return this.highest;
  }

  resetHighest(): void {
    this.highest = sampleProcess(this.pid)?.rssMb ?? 0;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

const brokerPids = new Map<number, number>();

/** The broker's pid when AMQP_URL points at this machine and the process can be seen. */
export function brokerPidFor(amqpUrl: string): number | undefined {
  try {
    const url = new URL(amqpUrl);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return undefined;
    return localBrokerPid(url.port === '' ? (url.protocol === 'amqps:' ? 5671 : 5672) : Number(url.port));
  } catch {
    return undefined;
  }
}

/**
 * The pid of the broker process listening on `port` on this machine, found through the listening
 * socket's inode (/proc/net/tcp*, then /proc/<pid>/fd). undefined when the broker is elsewhere or
 * its file descriptors cannot be read. Other brokers may run here too (tests start their own),
 * so it is never guessed by name alone.
 */
export function localBrokerPid(port: number): number | undefined {
  const known = brokerPids.get(port);
  if (known !== undefined && sampleProcess(known)) return known;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        const localPort = Number.parseInt(cols[1]?.split(':').pop() ?? '', 16);
        if (localPort === port && cols[3] === '0A' && cols[9]) inodes.add(`socket:[${cols[9]}]`);
      }
    } catch {
      /* no such table */
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of safeList('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    for (const fd of safeList(`/proc/${entry}/fd`)) {
      try {
        if (inodes.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) {
          brokerPids.set(port, Number(entry));
          return Number(entry);
        }
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return undefined;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
