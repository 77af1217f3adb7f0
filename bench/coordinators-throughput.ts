import { setTimeout as sleep } from 'node:timers/promises';
import { closeClients, connectClients, sendWindowed, SteadySenders } from './coordinator-clients.js';
import { commitCounters, CoordinatorFleet, type CommitCounters, type FleetMember } from './coordinator-fleet.js';
import type { SharedStore } from './coordinators-options.js';
import { sampleProcess, type ProcSample } from './proc.js';
import { round, summarise } from './stats.js';

export interface ThroughputSpec {
  amqpUrl: string;
  postgresUrl: string;
  store: SharedStore;
  coordinators: number;
  partitions: number;
  clients: number;
  /** Public rooms the clients send to (1: #general). */
  rooms: number;
  messages: number;
  window: number;
  warmupSeconds: number;
  intervalMs: number;
  brokerPid: number | undefined;
}

/** One measured run: C coordinators on one store, K clients sending N messages through a window. */
export interface ThroughputRun {
  store: SharedStore;
  coordinators: number;
  sent: number;
  accepted: number;
  refused: number;
  /** Accepted messages over first send → last accept. */
  acceptedPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** CPU of every coordinator process together, per accepted message; null when one of them exited during the run. */
  coordinatorCpuMsPerMessage: number | null;
  /** The broker's, when it runs here (it also serves anyone else using it). */
  brokerCpuMsPerMessage: number | null;
  /** This process: the K clients, which also receive every message. */
  clientsCpuMsPerMessage: number;
  /** Messages of the measured run each coordinator logged, in start order. */
  servedShare: number[];
  /** Store commits (one per turn of a coordinator) in the measured run, all coordinators. */
  commits: number;
  /** Mean messages per commit and mean ms per commit (handling included, as the coordinator's histogram counts it). */
  inputsPerCommit: number;
  msPerCommit: number;
  /** Seconds of paced traffic before every coordinator was serving. */
  warmupSeconds: number;
  /** Lines the coordinators logged as errors over the whole run (warm-up included), and the first of them. */
  coordinatorErrors: number;
  firstCoordinatorError: string | null;
  /** Coordinators that exited by themselves during the run. */
  coordinatorsExited: number;
  /** The first refusal a client got, if any. */
  firstRefusal: string | null;
}

/**
 * Warm-up: paced traffic until at least `warmupSeconds` have passed and every coordinator has
 * logged a message in the last two seconds (the balancer has given each a share), at most 30 s more.
 */
async function warmUp(fleet: CoordinatorFleet, clients: Awaited<ReturnType<typeof connectClients>>, spec: ThroughputSpec): Promise<number> {
  const senders = new SteadySenders(clients, spec.intervalMs, 'warm');
  const started = Date.now();
  try {
    for (;;) {
      await sleep(1000);
      const elapsed = (Date.now() - started) / 1000;
      const now = Date.now();
      const allServing = fleet.members.every((member) => [...fleet.served(member).values()].some((at) => at > now - 2000));
      if ((elapsed >= spec.warmupSeconds && allServing) || elapsed >= spec.warmupSeconds + 30) return round(elapsed);
    }
  } finally {
    await senders.stop();
  }
}

/** CPU between two samples of each process, summed over those still running at the end (null when one exited). */
function cpuBetween(before: (ProcSample | undefined)[], after: (ProcSample | undefined)[]): number | null {
  let total = 0;
  for (const [index, end] of after.entries()) {
    const start = before[index];
    if (!start || !end) return null;
    total += end.cpuMs - start.cpuMs;
  }
  return total;
}

function sumCounters(all: CommitCounters[]): CommitCounters {
  return all.reduce((sum, c) => ({ commits: sum.commits + c.commits, inputs: sum.inputs + c.inputs, seconds: sum.seconds + c.seconds }), { commits: 0, inputs: 0, seconds: 0 });
}

export async function runThroughput(spec: ThroughputSpec): Promise<ThroughputRun> {
  const fleet = new CoordinatorFleet({ amqpUrl: spec.amqpUrl, postgresUrl: spec.postgresUrl, store: spec.store, partitions: spec.partitions });
  let clients: Awaited<ReturnType<typeof connectClients>> = [];
  try {
    // Started together: each subscribes to every partition, and the broker's choice spreads them from the start.
    await Promise.all(Array.from({ length: spec.coordinators }, () => fleet.start()));
    clients = await connectClients({ amqpUrl: spec.amqpUrl, namespace: fleet.namespace, count: spec.clients, record: false, rooms: spec.rooms });
    const warmupSeconds = await warmUp(fleet, clients, spec);

    const members: FleetMember[] = fleet.members;
    const countersBefore = sumCounters(await Promise.all(members.map(commitCounters)));
    const cpuBefore = members.map((member) => sampleProcess(member.program.pid));
    const brokerBefore = spec.brokerPid === undefined ? undefined : sampleProcess(spec.brokerPid);
    const selfBefore = process.cpuUsage();

    const records = await sendWindowed(clients, spec.messages, spec.window, 'run');

    const self = process.cpuUsage(selfBefore);
    const cpuAfter = members.map((member) => sampleProcess(member.program.pid));
    const brokerAfter = spec.brokerPid === undefined ? undefined : sampleProcess(spec.brokerPid);
    const counters = sumCounters(await Promise.all(members.map(commitCounters)));

    const accepted = records.filter((record) => record.acceptedAt !== undefined);
    const firstSend = Math.min(...records.map((record) => record.sentAt));
    const lastAccept = Math.max(...accepted.map((record) => record.acceptedAt ?? 0));
    const latency = summarise(accepted.map((record) => (record.acceptedAt ?? 0) - record.sentAt));
    const perMessage = (cpuMs: number): number => (accepted.length === 0 ? 0 : Math.round((cpuMs / accepted.length) * 1000) / 1000);
    const servedBy = fleet.servedBy();
    const commits = counters.commits - countersBefore.commits;
    return {
      store: spec.store,
      coordinators: spec.coordinators,
      sent: records.length,
      accepted: accepted.length,
      refused: records.length - accepted.length,
      acceptedPerSec: lastAccept > firstSend ? Math.round((accepted.length * 1000) / (lastAccept - firstSend)) : 0,
      latencyP50Ms: latency.p50,
      latencyP99Ms: latency.p99,
      coordinatorCpuMsPerMessage: ((cpu) => (cpu === null ? null : perMessage(cpu)))(cpuBetween(cpuBefore, cpuAfter)),
      coordinatorsExited: members.filter((member) => member.program.child.exitCode !== null || member.program.child.signalCode !== null).length,
      brokerCpuMsPerMessage: brokerBefore && brokerAfter ? perMessage(brokerAfter.cpuMs - brokerBefore.cpuMs) : null,
      clientsCpuMsPerMessage: perMessage((self.user + self.system) / 1000),
      servedShare: members.map((member) => accepted.filter((record) => servedBy.get(record.id ?? '') === member.name).length),
      commits,
      inputsPerCommit: commits > 0 ? round((counters.inputs - countersBefore.inputs) / commits) : 0,
      msPerCommit: commits > 0 ? round(((counters.seconds - countersBefore.seconds) * 1000) / commits) : 0,
      warmupSeconds,
      coordinatorErrors: fleet.errorLines().length,
      firstCoordinatorError: fleet.errorLines()[0] ?? null,
      firstRefusal: records.find((record) => record.error !== undefined)?.error ?? null,
    };
  } finally {
    await closeClients(clients);
    await fleet.close();
  }
}
