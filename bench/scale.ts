import { WarrenClient } from '../client/lib/warren-client.js';
import { deleteNamespace } from './namespace.js';
import { brokerPidFor, ProcessWatch, sampleProcess, usageBetween, type Usage } from './proc.js';
import { startCoordinator } from './programs.js';
import { round, summarise, type Summary } from './stats.js';

/**
 * C clients connected at once, each with its own connection and queue as a real client has,
 * joining with bounded concurrency (file descriptors and memory of a small machine). Joining
 * stops early if a client stalls: a broker out of sockets stops accepting connections, and
 * waiting on it would only block everyone else who uses the broker.
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
  /** First connect started to the last of the joined clients logged in. */
  allJoinedMs: number;
  /** Connect plus login of each client, and the two apart. */
  joinMs: Summary;
  connectMs: Summary;
  loginMs: Summary;
  /** CPU while joining, in ms: this process (all C clients) and the broker (when local; null otherwise). */
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
  broadcast: { expected: number; reached: number; allReachedMs: number; reachMs: Summary };
  users: { listed: number; samplesMs: number[]; medianMs: number; maxMs: number };
  sessionsLost: number;
  benchRssMb: number;
  /**
   * Every TIMELINE_EVERY_MS from the first connect to the end of the phase: seconds since then,
   * clients joined so far, and the coordinator's RSS and CPU (% of a core since the sample before).
   */
  timeline: TimelinePoint[];
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
const CLOSE_TIMEOUT_MS = 5000;

export interface ScaleSpec {
  amqpUrl: string;
  namespace: string;
  clients: number;
  concurrency: number;
  stallMs: number;
  prefetch: number;
  /** TCP_NODELAY on the coordinator's and every client's socket. */
  noDelay?: boolean;
  idleMs?: number;
  usersSamples?: number;
  serverMain?: string;
}

export async function runScale(spec: ScaleSpec, progress: (line: string) => void): Promise<ScaleResult> {
  const coordinator = await startCoordinator(spec);
  const watch = new ProcessWatch(coordinator.pid);
  const clients: WarrenClient[] = [];
  const timers: { stop(): void }[] = [];
  try {
    return await measure(spec, coordinator.readyMs, watch, clients, timers, progress);
  } finally {
    for (const timer of timers) timer.stop();
    watch.stop();
    const began = performance.now();
    await closeAll(clients, spec.concurrency);
    progress(`  closed ${clients.length} clients in ${Math.round(performance.now() - began)} ms`);
    await coordinator.shutdown();
    await deleteNamespace(spec.amqpUrl, spec.namespace).catch(() => undefined);
  }
}

async function measure(
  spec: ScaleSpec,
  startMs: number,
  watch: ProcessWatch,
  clients: WarrenClient[],
  timers: { stop(): void }[],
  progress: (line: string) => void,
): Promise<ScaleResult> {
  const joinTimes: number[] = [];
  const connectTimes: number[] = [];
  const loginTimes: number[] = [];
  const joinedClients: WarrenClient[] = [];
  let failed = 0;
  let stalled = false;
  let firstError: string | null = null;
  let sessionsLost = 0;
  let launched = 0;
  // Closed clients stay in `clients` (closing twice is harmless) so that the final cleanup covers everything.
  let lastJoined = 0;
  let marker: string | undefined;
  const reachTimes: number[] = [];
  let broadcastSentAt = 0;
  let onReach: () => void = () => undefined;

  const brokerPid = brokerPidFor(spec.amqpUrl);
  const brokerBefore = brokerPid === undefined ? undefined : sampleProcess(brokerPid);
  const clientsBefore = process.cpuUsage();
  const before = watch.take();
  let afterJoin = before;
  let clientsCpu = process.cpuUsage(clientsBefore);
  let brokerAfter = brokerBefore;
  watch.resetHighest();
  const start = performance.now();
  const timeline = new Timeline(watch, start, () => joinedClients.length);
  // Stopped below, or by runScale if anything here throws first.
  timers.push(timeline);
  const worker = async (): Promise<void> => {
    while (launched < spec.clients && failed === 0) {
      const i = launched++;
      const client = new WarrenClient({ amqpUrl: spec.amqpUrl, namespace: spec.namespace, security: { mode: 'open' }, requestTimeoutMs: 60_000, noDelay: spec.noDelay ?? true });
      clients.push(client);
      client.on('sessionLost', () => (sessionsLost += 1));
      client.on('message', (event) => {
        if (marker !== undefined && event.text === marker) {
          reachTimes.push(performance.now() - broadcastSentAt);
          onReach();
        }
      });
      const began = performance.now();
      try {
        let connected = 0;
        await withTimeout(
          client.connect().then(() => {
            connected = performance.now();
            return client.login(`u${i}`);
          }),
          spec.stallMs,
          'not joined',
          () => (stalled = true),
        );
        lastJoined = performance.now();
        // Sampled at every join, so that a stall at the end does not count as joining time.
        afterJoin = watch.take();
        clientsCpu = process.cpuUsage(clientsBefore);
        brokerAfter = brokerPid === undefined ? undefined : sampleProcess(brokerPid);
        connectTimes.push(connected - began);
        loginTimes.push(lastJoined - connected);
        joinTimes.push(lastJoined - began);
        joinedClients.push(client);
        if (joinedClients.length % 100 === 0) progress(`  ${joinedClients.length} joined`);
      } catch (err) {
        failed += 1;
        firstError ??= `client ${i}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.clients) }, worker));
  const joined = joinedClients.length;
  progress(`  ${joined} of ${spec.clients} joined in ${Math.round(lastJoined - start)} ms${failed ? `; stopped: ${firstError ?? ''}` : ''}`);
  let releasedAfterStall = 0;
  if (failed > 0) {
    const waiting = clients.filter((client) => !joinedClients.includes(client));
    const released = joinedClients.splice(Math.max(1, joinedClients.length - RELEASE_AFTER_STALL));
    releasedAfterStall = released.length;
    // Closing the joined ones frees broker sockets; a client still in its handshake cannot close
    // before that handshake ends (amqp-connection-manager waits for it), so it is not waited for.
    await closeAll(released, spec.concurrency);
    for (const client of waiting) void client.close({ logout: false }).catch(() => undefined);
  }
  const present = joinedClients.length;

  // Nobody types for a while: what heartbeats of C clients cost the coordinator.
  const idleStart = watch.take();
  await sleep(spec.idleMs ?? 3000);
  const idleEnd = watch.take();

  // One message to everyone.
  const sender = joinedClients[0];
  let allReachedMs = 0;
  if (sender) {
    marker = `broadcast ${Date.now()}`;
    const everyone = new Promise<void>((resolve) => {
      onReach = () => {
        if (reachTimes.length >= present) resolve();
      };
    });
    broadcastSentAt = performance.now();
    await sender.send(marker).catch(() => undefined);
    await Promise.race([everyone, sleep(30_000)]);
    allReachedMs = reachTimes.length >= present ? Math.max(...reachTimes) : 0;
  }

  // /users round trips, one after another.
  const samples: number[] = [];
  let listed = 0;
  for (let i = 0; sender && i < (spec.usersSamples ?? 5); i += 1) {
    const began = performance.now();
    try {
      listed = (await sender.users()).length;
      samples.push(round(performance.now() - began));
    } catch (err) {
      firstError ??= `/users: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const usersSummary = summarise(samples);
  timeline.stop();

  return {
    requested: spec.clients,
    joined,
    failed,
    stalled,
    releasedAfterStall,
    firstError,
    joinConcurrency: spec.concurrency,
    allJoinedMs: Math.round(lastJoined > 0 ? lastJoined - start : 0),
    joinMs: summarise(joinTimes),
    connectMs: summarise(connectTimes),
    loginMs: summarise(loginTimes),
    joinCpuMs: {
      clients: Math.round((clientsCpu.user + clientsCpu.system) / 1000),
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
    broadcast: { expected: present, reached: reachTimes.length, allReachedMs: round(allReachedMs), reachMs: summarise(reachTimes) },
    users: { listed, samplesMs: samples, medianMs: usersSummary.p50, maxMs: usersSummary.max },
    sessionsLost,
    benchRssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
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

/**
 * Closes without logging out (C logouts would add C requests and their presence traffic), a batch at a time,
 * giving up on a client after CLOSE_TIMEOUT_MS: its socket goes when this process exits.
 */
async function closeAll(clients: WarrenClient[], concurrency: number): Promise<void> {
  for (let i = 0; i < clients.length; i += concurrency) {
    await Promise.all(
      clients.slice(i, i + concurrency).map((client) => withTimeout(client.close({ logout: false }), CLOSE_TIMEOUT_MS, 'not closed', () => undefined).catch(() => undefined)),
    );
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
