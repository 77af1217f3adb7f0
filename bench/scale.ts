import { deleteNamespace } from './namespace.js';
import { privateNodeAvailable, startPrivateNode } from './private-node.js';
import { brokerPidFor, ProcessWatch, sampleProcess, usageBetween, type Usage } from './proc.js';
import { startCoordinator } from './programs.js';
import { startScaleFleet, type ScaleFleet } from './scale-fleet.js';
import { round, summarise, type Summary } from './stats.js';
import { clock } from './systems.js';

/**
 * C clients connected at once, each with its own connection and queue as a real client has,
 * joining with bounded concurrency (file descriptors and memory of a small machine). They live in
 * child processes (bench/scale-clients.ts, `clientsPerProcess` each), on a private RabbitMQ node
 * with a raised open-file limit when this machine can start one. Joining stops early if a client
 * stalls: a broker out of sockets stops accepting connections, and waiting on it would only block
 * everyone else who uses the broker.
 */
export interface ScaleResult {
  requested: number;
  joined: number;
  failed: number;
  /** Joining was stopped because a client neither joined nor failed within the stall limit. */
  stalled: boolean;
  /**
   * After a stall, this many joined clients were closed at once (besides the stalled ones), so
   * that a broker at its connection limit serves its other users again; the figures after
   * joining are for the clients left.
   */
  releasedAfterStall: number;
  firstError: string | null;
  joinConcurrency: number;
  /** Child processes the clients lived in. */
  clientProcesses: number;
  /** The private node the phase ran on (null: the broker at AMQP_URL). */
  node: { name: string; openFilesRequested: number; openFiles: number | null; startMs: number } | null;
  /** First connect started to the last of the joined clients logged in. */
  allJoinedMs: number;
  /** Connect plus login of each client, and the two apart. */
  joinMs: Summary;
  connectMs: Summary;
  loginMs: Summary;
  /** CPU while joining, in ms: the clients' processes and the broker (when local; null otherwise). */
  joinCpuMs: { clients: number; broker: number | null };
  coordinator: {
    startMs: number;
    rssBeforeMb: number;
    rssAfterJoinMb: number;
    /** Highest RSS sampled (every 250 ms) from the start of joining to the end of the phase. */
    highestRssMb: number;
    joinCpu: Usage;
    /** With everyone connected and nobody typing: heartbeats only. */
    idleCpu: Usage;
  };
  /** The broker node's RSS (null when its process cannot be seen): before joining, at the last join, at the end. */
  broker: { rssBeforeMb: number | null; rssAfterJoinMb: number | null; rssEndMb: number | null; idleCpuPercent: number | null };
  /** Memory when the joined count first reached each of MILESTONES (up to C) and C. */
  milestones: ScaleMilestone[];
  broadcast: { expected: number; reached: number; allReachedMs: number; reachMs: Summary };
  users: { listed: number; samplesMs: number[]; medianMs: number; maxMs: number };
  sessionsLost: number;
  /** The benchmark's process and the clients' processes together. */
  benchRssMb: number;
  /**
   * Every TIMELINE_EVERY_MS from the first connect to the end of the phase: seconds since then,
   * clients joined so far, and the coordinator's RSS and CPU (% of a core since the sample before).
   */
  timeline: TimelinePoint[];
}

export interface ScaleMilestone {
  joined: number;
  /** Seconds since the first connect. */
  s: number;
  coordinatorRssMb: number;
  brokerRssMb: number | null;
  clientsRssMb: number;
}

export interface TimelinePoint {
  s: number;
  joined: number;
  rssMb: number;
  cpuPercent: number;
}

const TIMELINE_EVERY_MS = 250;
/** Past this many points the timeline keeps every second one, and so on: the JSON stays small. */
const TIMELINE_MAX_POINTS = 480;

const RELEASE_AFTER_STALL = 50;
const MILESTONES = [100, 250, 500, 1000, 2500, 5000, 10_000];

export interface ScaleSpec {
  amqpUrl: string;
  namespace: string;
  clients: number;
  concurrency: number;
  stallMs: number;
  /** Clients per child process (bench/scale-clients.ts). */
  clientsPerProcess: number;
  /** Run on a private node with this open-file limit (when rabbitmq-server is here); absent: on amqpUrl. */
  privateNode?: { openFiles: number };
  prefetch: number;
  /** TCP_NODELAY on the coordinator's and every client's socket. */
  noDelay?: boolean;
  idleMs?: number;
  /** The coordinator's WARREN_SESSION_TIMEOUT (its default when absent). */
  sessionTimeoutSeconds?: number;
  /** Each client's AMQP heartbeat in seconds (the client's default when absent). */
  amqpHeartbeatSeconds?: number;
  usersSamples?: number;
  serverMain?: string;
}

export async function runScale(spec: ScaleSpec, progress: (line: string) => void): Promise<ScaleResult> {
  // A private node with a raised open-file limit when this machine can start one; the broker at
  // AMQP_URL otherwise (the shared one stops near 1024 sockets: the figures then say so).
  const node = spec.privateNode && privateNodeAvailable() ? await startPrivateNode({ prefix: 'warren-bench-scale', openFiles: spec.privateNode.openFiles }) : undefined;
  if (node) progress(`  private node ${node.name} up in ${node.startMs} ms, open files ${node.openFiles ?? 'unknown'} (asked ${spec.privateNode?.openFiles ?? '-'}), data in ${node.dir}`);
  else progress(`  on the broker at AMQP_URL${spec.privateNode ? ' (no rabbitmq-server here for a private node)' : ''}`);
  const amqpUrl = node?.url ?? spec.amqpUrl;
  try {
    const coordinator = await startCoordinator({ ...spec, amqpUrl });
    const watch = new ProcessWatch(coordinator.pid);
    const timers: { stop(): void }[] = [];
    let fleet: ScaleFleet | undefined;
    try {
      const brokerPid = node?.pid ?? brokerPidFor(amqpUrl);
      const result = await measure({ ...spec, amqpUrl }, coordinator.readyMs, watch, brokerPid, timers, (started) => (fleet = started), progress);
      return { ...result, node: node ? { name: node.name, openFilesRequested: spec.privateNode?.openFiles ?? 0, openFiles: node.openFiles, startMs: node.startMs } : null };
    } finally {
      for (const timer of timers) timer.stop();
      watch.stop();
      const began = performance.now();
      await fleet?.close();
      progress(`  closed the clients' processes in ${Math.round(performance.now() - began)} ms`);
      await coordinator.shutdown();
      await deleteNamespace(amqpUrl, spec.namespace).catch(() => undefined);
    }
  } finally {
    await node?.stop();
  }
}

/** Joined counts at which the coordinator's and the broker's memory are noted (those up to C, and C itself). */
export function milestonesFor(clients: number): number[] {
  return [...new Set([...MILESTONES.filter((m) => m < clients), clients])];
}

async function measure(
  spec: ScaleSpec,
  startMs: number,
  watch: ProcessWatch,
  brokerPid: number | undefined,
  timers: { stop(): void }[],
  started: (fleet: ScaleFleet) => void,
  progress: (line: string) => void,
): Promise<Omit<ScaleResult, 'node'>> {
  const joinTimes: number[] = [];
  const connectTimes: number[] = [];
  const loginTimes: number[] = [];
  const joinedIds: number[] = [];
  let failed = 0;
  let stalled = false;
  let firstError: string | null = null;
  let sessionsLost = 0;
  let lastJoined = 0;
  const reachTimes: number[] = [];
  let broadcastSentAt = 0;
  let onReach: () => void = () => undefined;
  const pending = milestonesFor(spec.clients);
  const milestones: ScaleMilestone[] = [];

  const brokerBefore = brokerPid === undefined ? undefined : sampleProcess(brokerPid);
  const before = watch.take();
  let afterJoin = before;
  let brokerAfter = brokerBefore;
  let clientPids: number[] = [];
  const clientsCpu = (): number => clientPids.reduce((total, pid) => total + (sampleProcess(pid)?.cpuMs ?? 0), 0);
  const clientsRss = (): number => clientPids.reduce((total, pid) => total + (sampleProcess(pid)?.rssMb ?? 0), 0);
  let clientsCpuBefore = 0;
  let clientsCpuAfter = 0;
  watch.resetHighest();
  const start = clock();
  const timeline = new Timeline(watch, performance.now(), () => joinedIds.length);
  // Stopped below, or by runScale if anything here throws first.
  timers.push(timeline);
  const fleet = startScaleFleet(
    { amqpUrl: spec.amqpUrl, namespace: spec.namespace, concurrency: spec.concurrency, stallMs: spec.stallMs, noDelay: spec.noDelay ?? true, ...(spec.amqpHeartbeatSeconds === undefined ? {} : { amqpHeartbeatSeconds: spec.amqpHeartbeatSeconds }) },
    spec.clients,
    Math.ceil(spec.clients / spec.clientsPerProcess),
    {
      joined: (client, connectMs, loginMs, at) => {
        joinedIds.push(client);
        connectTimes.push(connectMs);
        loginTimes.push(loginMs);
        joinTimes.push(connectMs + loginMs);
        lastJoined = Math.max(lastJoined, at);
        // Sampled at every join, so that a stall at the end does not count as joining time.
        afterJoin = watch.take();
        brokerAfter = brokerPid === undefined ? undefined : sampleProcess(brokerPid);
        clientsCpuAfter = clientsCpu();
        if (joinedIds.length % 500 === 0) progress(`  ${joinedIds.length} joined`);
        while (pending.length > 0 && joinedIds.length >= (pending[0] ?? Infinity)) {
          milestones.push({ joined: pending.shift() ?? 0, s: round((at - start) / 1000), coordinatorRssMb: afterJoin?.rssMb ?? 0, brokerRssMb: brokerAfter?.rssMb ?? null, clientsRssMb: Math.round(clientsRss()) });
        }
      },
      failed: (message, stalledJoin) => {
        if (failed === 0) progress(`  stopping at ${joinedIds.length} joined: ${message}`);
        failed += 1;
        stalled ||= stalledJoin;
        firstError ??= message;
        fleet.stop();
      },
      reached: (at) => {
        reachTimes.push(at - broadcastSentAt);
        onReach();
      },
      sessionLost: () => (sessionsLost += 1),
    },
  );
  started(fleet);
  clientPids = fleet.pids;
  clientsCpuBefore = clientsCpu();
  await fleet.settled;
  const joined = joinedIds.length;
  progress(`  ${joined} of ${spec.clients} joined in ${Math.round(lastJoined - start)} ms over ${clientPids.length} processes${failed ? `; stopped: ${firstError ?? ''}` : ''}`);
  let releasedAfterStall = 0;
  if (failed > 0) releasedAfterStall = await fleet.release(RELEASE_AFTER_STALL);
  const present = joined - releasedAfterStall;
  const released = new Set(joinedIds.slice(joinedIds.length - releasedAfterStall));

  // Nobody types for a while: what heartbeats of C clients cost the coordinator.
  const idleStart = watch.take();
  const brokerIdleStart = brokerPid === undefined ? undefined : sampleProcess(brokerPid);
  const idleBegan = performance.now();
  await sleep(spec.idleMs ?? 3000);
  const idleEnd = watch.take();
  const brokerIdleEnd = brokerPid === undefined ? undefined : sampleProcess(brokerPid);
  const brokerIdleCpuPercent = brokerIdleStart && brokerIdleEnd ? round((100 * (brokerIdleEnd.cpuMs - brokerIdleStart.cpuMs)) / (performance.now() - idleBegan)) : null;

  // One message to everyone, from the first client that joined and is still there.
  const sender = joinedIds.find((id) => !released.has(id));
  let allReachedMs = 0;
  if (sender !== undefined) {
    const marker = `broadcast ${Date.now()}`;
    fleet.watch(marker);
    const everyone = new Promise<void>((resolve) => {
      onReach = () => {
        if (reachTimes.length >= present) resolve();
      };
    });
    broadcastSentAt = clock();
    await fleet.send(sender, marker).catch(() => undefined);
    await Promise.race([everyone, sleep(30_000)]);
    allReachedMs = reachTimes.length >= present ? Math.max(...reachTimes) : 0;
  }

  // /users round trips, one after another.
  const samples: number[] = [];
  let listed = 0;
  for (let i = 0; sender !== undefined && i < (spec.usersSamples ?? 5); i += 1) {
    const began = performance.now();
    try {
      listed = await fleet.users(sender);
      samples.push(round(performance.now() - began));
    } catch (err) {
      firstError ??= `/users: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const usersSummary = summarise(samples);
  timeline.stop();
  const brokerEnd = brokerPid === undefined ? undefined : sampleProcess(brokerPid);

  return {
    requested: spec.clients,
    joined,
    failed,
    stalled,
    releasedAfterStall,
    firstError,
    joinConcurrency: spec.concurrency,
    clientProcesses: clientPids.length,
    allJoinedMs: Math.round(lastJoined > 0 ? lastJoined - start : 0),
    joinMs: summarise(joinTimes),
    connectMs: summarise(connectTimes),
    loginMs: summarise(loginTimes),
    joinCpuMs: {
      clients: Math.round(clientsCpuAfter - clientsCpuBefore),
      broker: brokerBefore && brokerAfter ? Math.round(brokerAfter.cpuMs - brokerBefore.cpuMs) : null,
    },
    coordinator: {
      startMs: Math.round(startMs),
      rssBeforeMb: before?.rssMb ?? 0,
      rssAfterJoinMb: afterJoin?.rssMb ?? 0,
      highestRssMb: Math.max(watch.highestRssMb(), watch.take()?.rssMb ?? 0),
      joinCpu: usageBetween(before, afterJoin),
      idleCpu: usageBetween(idleStart, idleEnd),
    },
    broker: { rssBeforeMb: brokerBefore?.rssMb ?? null, rssAfterJoinMb: brokerAfter?.rssMb ?? null, rssEndMb: brokerEnd?.rssMb ?? null, idleCpuPercent: brokerIdleCpuPercent },
    milestones,
    broadcast: { expected: present, reached: reachTimes.length, allReachedMs: round(allReachedMs), reachMs: summarise(reachTimes) },
    users: { listed, samplesMs: samples, medianMs: usersSummary.p50, maxMs: usersSummary.max },
    sessionsLost,
    benchRssMb: Math.round(process.memoryUsage().rss / 1024 / 1024 + clientsRss()),
    timeline: timeline.points(),
  };
}

/** Samples joined clients and the coordinator's RSS and CPU on a timer, for the report's scale chart. */
class Timeline {
  private readonly samples: TimelinePoint[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last: ReturnType<ProcessWatch['take']>;

  constructor(
    private readonly watch: ProcessWatch,
    private readonly start: number,
    private readonly joined: () => number,
  ) {
    this.last = watch.take();
    this.sample();
    this.timer = setInterval(() => this.sample(), TIMELINE_EVERY_MS);
    this.timer.unref();
  }

  /** Idempotent: the last sample is taken once. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  points(): TimelinePoint[] {
    let points = this.samples;
    while (points.length > TIMELINE_MAX_POINTS) points = points.filter((_, i) => i % 2 === 0 || i === points.length - 1);
    return points;
  }

  private sample(): void {
    const now = this.watch.take();
    const usage = usageBetween(this.last, now);
    this.last = now;
    this.samples.push({ s: round((performance.now() - this.start) / 1000), joined: this.joined(), rssMb: now?.rssMb ?? 0, cpuPercent: usage.cpuPercent });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
