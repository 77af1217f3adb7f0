import { sampleProcess, usageBetween, type Usage } from './proc.js';
import { median, medianPercentiles, percentiles, round, summarise, type Summary } from './stats.js';
import type { Delivery, MessagingSystem, SystemLabel } from './systems.js';

/**
 * One measured phase on one system: N messages from K participants (message i from participant
 * i mod K), every participant receiving every message. A message counts as accepted when its
 * sender receives it back stamped by the server in the middle, which is also when warren's
 * `send()` resolves. Latency is from the send call to each receipt, in this one process, so one
 * clock measures both ends.
 */
export interface PhaseResult {
  system: SystemLabel;
  phase: string;
  /** msg/s the senders were paced at; null: as fast as the window of unaccepted messages allows. */
  targetRate: number | null;
  sent: number;
  accepted: number;
  delivered: number;
  expectedDeliveries: number;
  missing: number;
  duplicates: number;
  errors: number;
  firstError: string | null;
  /** First send to last receipt. */
  durationMs: number;
  sendRatePerSec: number;
  acceptedPerSec: number;
  deliveriesPerSec: number;
  /** Send call to receipt, over every delivery. */
  latencyMs: Summary;
  /** The same latencies at percentiles 0, 1, …, 100 (empty when nothing arrived): the report's distribution. */
  latencyCdfMs: number[];
  /** clientTs to serverTs of each message (wall clock, 1 ms resolution): the way in. */
  inboundMs: Summary;
  /** serverTs to receipt of every delivery (wall clock, 1 ms resolution): the way out. */
  outboundMs: Summary;
  /** The relay's or the coordinator's process over the phase. */
  server: Usage & { cpuMsPerMessage: number };
  /** This process (all K clients) over the phase: the clients' share of the work. */
  clientsCpuMsPerMessage: number;
  /** The broker's process, when it runs on this machine (null otherwise); it also serves anyone else using it. */
  brokerCpuMsPerMessage: number | null;
}

export interface PhaseSpec {
  name: string;
  messages: number;
  size: number;
  /** Paced at this many msg/s in total, or windowed when undefined. */
  rate?: number;
  /** Windowed: unaccepted messages each participant may have in flight. */
  window: number;
  /** Gives up waiting for the last deliveries after this long without one. */
  stallMs?: number;
  /** The broker's process, when local, for its CPU time. */
  brokerPid?: number | undefined;
}

let phaseCounter = 0;

export async function runPhase(system: MessagingSystem, spec: PhaseSpec): Promise<PhaseResult> {
  phaseCounter += 1;
  const tag = `p${phaseCounter}`;
  const n = spec.messages;
  const k = system.participants;
  const expected = n * k;
  const sentAt = new Float64Array(n);
  const settled = new Uint8Array(n);
  const seen = new Uint8Array(expected);
  const latencies = new Float64Array(expected);
  const outbound = new Float64Array(expected);
  const inbound = new Float64Array(n);
  const inflight = new Array<number>(k).fill(0);
  const nextOf = Array.from({ length: k }, (_, c) => c);
  let sent = 0;
  let accepted = 0;
  let delivered = 0;
  let duplicates = 0;
  let errors = 0;
  let firstError: string | null = null;
  let lastSent = 0;
  let lastAccepted = 0;
  let lastDelivered = 0;
  let finish: () => void = () => undefined;
  const allDelivered = new Promise<void>((resolve) => (finish = resolve));
  const textOf = (index: number): string => `${tag}:${index}:`.padEnd(spec.size, 'x');

  const send = (index: number): void => {
    const from = index % k;
    inflight[from] = (inflight[from] ?? 0) + 1;
    sent += 1;
    lastSent = performance.now();
    sentAt[index] = lastSent;
    system.publish(from, textOf(index)).catch((err: unknown) => {
      errors += 1;
      firstError ??= err instanceof Error ? err.message : String(err);
      settle(index);
    });
  };
  const settle = (index: number): void => {
    if (settled[index]) return;
    settled[index] = 1;
    const from = index % k;
    inflight[from] = (inflight[from] ?? 1) - 1;
    if (spec.rate === undefined) pump(from);
  };
  const pump = (from: number): void => {
    let next = nextOf[from] ?? n;
    while ((inflight[from] ?? 0) < spec.window && next < n) {
      send(next);
      next += k;
    }
    nextOf[from] = next;
  };

  system.setDeliveryHandler((to: number, delivery: Delivery) => {
    const text = delivery.text;
    const first = text.indexOf(':');
    if (text.slice(0, first) !== tag) return;
    const index = Number(text.slice(first + 1, text.indexOf(':', first + 1)));
    const slot = index * k + to;
    if (!(index >= 0 && index < n) || seen[slot]) {
      duplicates += 1;
      return;
    }
    const now = performance.now();
    const serverMs = Date.parse(delivery.serverTs);
    seen[slot] = 1;
    latencies[delivered] = now - (sentAt[index] ?? now);
    outbound[delivered] = Date.now() - serverMs;
    delivered += 1;
    lastDelivered = now;
    if (to === index % k) {
      inbound[accepted] = serverMs - Date.parse(delivery.clientTs);
      accepted += 1;
      lastAccepted = now;
      settle(index);
    }
    if (delivered === expected) finish();
  });

  const brokerPid = spec.brokerPid;
  const before = sampleProcess(system.serverPid);
  const brokerBefore = brokerPid === undefined ? undefined : sampleProcess(brokerPid);
  const clientsBefore = process.cpuUsage();
  const start = performance.now();
  if (spec.rate === undefined) {
    for (let from = 0; from < k; from += 1) pump(from);
  } else {
    await paced(n, spec.rate, start, send);
  }
  await untilDoneOrStalled(allDelivered, () => Math.max(lastDelivered, lastSent, start), spec.stallMs ?? 15_000);
  const after = sampleProcess(system.serverPid);
  const brokerAfter = brokerPid === undefined ? undefined : sampleProcess(brokerPid);
  const clientsCpu = process.cpuUsage(clientsBefore);
  system.setDeliveryHandler(() => undefined);
  const perMessage = (cpuMs: number): number => (accepted > 0 ? round(cpuMs / accepted) : 0);

  const perSecond = (count: number, end: number): number => (end > start ? round((count * 1000) / (end - start)) : 0);
  const usage = usageBetween(before, after);
  return {
    system: system.label,
    phase: spec.name,
    targetRate: spec.rate ?? null,
    sent,
    accepted,
    delivered,
    expectedDeliveries: expected,
    missing: expected - delivered,
    duplicates,
    errors,
    firstError,
    durationMs: Math.round((lastDelivered || performance.now()) - start),
    sendRatePerSec: perSecond(sent, lastSent),
    acceptedPerSec: perSecond(accepted, lastAccepted),
    deliveriesPerSec: perSecond(delivered, lastDelivered),
    latencyMs: summarise(latencies, delivered),
    latencyCdfMs: percentiles(latencies, delivered),
    inboundMs: summarise(inbound, accepted),
    outboundMs: summarise(outbound, delivered),
    server: { ...usage, cpuMsPerMessage: perMessage(usage.cpuMs) },
    clientsCpuMsPerMessage: perMessage((clientsCpu.user + clientsCpu.system) / 1000),
    brokerCpuMsPerMessage: brokerBefore && brokerAfter ? perMessage(brokerAfter.cpuMs - brokerBefore.cpuMs) : null,
  };
}

/** Open loop: message i is sent at start + i/rate, whatever happened to the ones before it. */
function paced(n: number, rate: number, start: number, send: (index: number) => void): Promise<void> {
  let next = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const due = Math.min(n, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (next < due) send(next++);
      if (next >= n) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
}

/** Waits for `done`, or until nothing has arrived for `stallMs`. */
async function untilDoneOrStalled(done: Promise<void>, lastProgress: () => number, stallMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<void>((resolve) => {
    const check = (): void => {
      if (performance.now() - lastProgress() > stallMs) resolve();
      else timer = setTimeout(check, 100);
    };
    check();
  });
  await Promise.race([done, stalled]);
  clearTimeout(timer);
}

/**
 * Several rounds of one phase on one system as one result: counts add up, every figure is the
 * median over the rounds (a noisy neighbour spoils a round, not the result).
 */
export function combineRounds(rounds: PhaseResult[]): PhaseResult {
  const first = rounds[0];
  if (!first) throw new Error('no rounds to combine');
  if (rounds.length === 1) return first;
  const mid = (pick: (r: PhaseResult) => number): number => median(rounds.map(pick));
  const sum = (pick: (r: PhaseResult) => number): number => rounds.reduce((total, r) => total + pick(r), 0);
  const summary = (pick: (r: PhaseResult) => Summary): Summary => ({
    count: sum((r) => pick(r).count),
    p50: mid((r) => pick(r).p50),
    p99: mid((r) => pick(r).p99),
    max: mid((r) => pick(r).max),
    mean: mid((r) => pick(r).mean),
  });
  const brokerKnown = rounds.every((r) => r.brokerCpuMsPerMessage !== null);
  return {
    system: first.system,
    phase: first.phase,
    targetRate: first.targetRate,
    sent: sum((r) => r.sent),
    accepted: sum((r) => r.accepted),
    delivered: sum((r) => r.delivered),
    expectedDeliveries: sum((r) => r.expectedDeliveries),
    missing: sum((r) => r.missing),
    duplicates: sum((r) => r.duplicates),
    errors: sum((r) => r.errors),
    firstError: rounds.find((r) => r.firstError !== null)?.firstError ?? null,
    durationMs: mid((r) => r.durationMs),
    sendRatePerSec: mid((r) => r.sendRatePerSec),
    acceptedPerSec: mid((r) => r.acceptedPerSec),
    deliveriesPerSec: mid((r) => r.deliveriesPerSec),
    latencyMs: summary((r) => r.latencyMs),
    latencyCdfMs: medianPercentiles(rounds.map((r) => r.latencyCdfMs)),
    inboundMs: summary((r) => r.inboundMs),
    outboundMs: summary((r) => r.outboundMs),
    server: {
      wallMs: mid((r) => r.server.wallMs),
      cpuMs: mid((r) => r.server.cpuMs),
      cpuPercent: mid((r) => r.server.cpuPercent),
      rssMb: Math.max(...rounds.map((r) => r.server.rssMb)),
      peakRssMb: Math.max(...rounds.map((r) => r.server.peakRssMb)),
      cpuMsPerMessage: mid((r) => r.server.cpuMsPerMessage),
    },
    clientsCpuMsPerMessage: mid((r) => r.clientsCpuMsPerMessage),
    brokerCpuMsPerMessage: brokerKnown ? mid((r) => r.brokerCpuMsPerMessage ?? 0) : null,
  };
}
