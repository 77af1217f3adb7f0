import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { coordinatorsQueue, partitionQueues, type Topology } from '../../shared/index.js';
import type { AdmissionDeps } from '../accounts/admission.js';
import type { InFlight } from '../in-flight.js';
import type { Logger } from '../logger.js';
import type { CoordinatorMetrics } from '../observability/coordinator-metrics.js';
import type { Outcome } from '../outcome.js';
import type { OutcomePublisher } from '../output/outcome-publisher.js';
import type { Store } from '../store/store.js';
import { LIVENESS_HEADER } from '../sweeps/input-liveness.js';
import { PROBE_HEADER } from '../sweeps/topology-watch.js';
import { AckCoalescer, settle } from './ack-coalescer.js';
import { AdmissionGate } from './admission-gate.js';
import type { ContextFor, Input, InputKind } from './handle-input.js';
import { TAKEOVER_GRACE_MS, TakeoverGrace } from './partition-share.js';
import { attemptInput, attemptsOf } from './retry-or-dead-letter.js';
import type { SenderGuard } from './sender-guard.js';

/** An input with the channel it came on: its ack must go back on that channel. */
interface Arrived extends Input {
  channel: ConfirmChannel;
}

export interface InputPipelineDeps {
  topology: Topology;
  /** Input partitions of each kind (shared/input-partitions.ts); every one is consumed, the broker picks who is active. */
  partitions?: number;
  /** Wraps each turn, from its transaction to the start of its publishes (the registry remembers its look-ups for the turn); default: runs it. */
  turn?: <T>(fn: () => T) => T;
  /** Runs last inside each turn's transaction (the registry writes the turn's signs of life). */
  beforeCommit?: () => void;
  /** partition-share.ts; default TAKEOVER_GRACE_MS. */
  takeoverGraceMs?: number;
  /** Whether another coordinator consumes the input now (partition-share.ts: only then is there a grace); default: assumed. */
  othersAlive?: () => Promise<boolean>;
  store: Store;
  publisher: OutcomePublisher;
  contextFor: ContextFor;
  logger: Logger;
  inFlight: InFlight;
  /** Secure mode only. */
  guard?: SenderGuard | undefined;
  /** Rate limits and password work, done before an input joins a batch (admission-gate.ts). */
  admission?: AdmissionDeps;
  /** The broker cancelled our consumer of `queue` (it was deleted): the topology watch restores it. */
  onCancelled?: (queue: string) => void;
  /** A liveness probe (sweeps/input-liveness.ts) reached our consumer of `queue`. */
  onLivenessProbe?: (queue: string, probeId: string) => void;
  /** Secure mode: the coordinator's broker user, the only sender whose liveness probes count. */
  coordinatorUser?: string | undefined;
  /** Counts and latencies (server/observability/); absent: nothing is measured. */
  metrics?: CoordinatorMetrics | undefined;
  /**
   * Group commit across turns: a batch begins at most once per this many ms, so at moderate rates
   * the inputs of several turns share one transaction and one commit (docs/PERFORMANCE.md). An
   * input that arrives when the last batch began longer ago than this is handled in the next turn,
   * as without it. 0 (the default): every turn's inputs are a batch of their own.
   */
  commitWindowMs?: number;
}

/**
 * The input path: consume the chat and command queues, handle what arrives (in one SQLite
 * transaction per turn of the event loop), write the log lines, publish with confirms, then ack.
 * Whatever fails before the ack hands the input back to the queue.
 */
export class InputPipeline {
  private consumers: { channel: ConfirmChannel; tags: Map<string, string> } | undefined;
  /** Every input queue this coordinator consumes, with its kind. */
  private readonly queues: readonly { kind: InputKind; queue: string }[];
  private arrived: Arrived[] = [];
  /** When the last batch began (performance.now()), for the commit window. */
  private lastBatchAt = Number.NEGATIVE_INFINITY;
  /** The commit window's timer, while a batch waits for it. */
  private windowTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly gate: AdmissionGate<Arrived> | undefined;
  private readonly acks = new AckCoalescer();
  private readonly grace: TakeoverGrace<Arrived>;

  constructor(private readonly deps: InputPipelineDeps) {
    this.gate = deps.admission ? new AdmissionGate<Arrived>(deps.admission, (input) => this.arrive(input), deps.logger) : undefined;
    this.grace = new TakeoverGrace<Arrived>(deps.takeoverGraceMs ?? TAKEOVER_GRACE_MS, (input) => this.admit(input), deps.othersAlive);
    const partitions = deps.partitions ?? 1;
    this.queues = (['chat', 'command'] as const).flatMap((kind) => partitionQueues(deps.topology, kind, partitions).map((queue) => ({ kind, queue })));
  }

  /** How many input queues there are to consume (both kinds, every partition). */
  get queueCount(): number {
    return this.queues.length;
  }

  /** Run on every (re)opened channel, after the topology is declared. */
  async consume(channel: ConfirmChannel, prefetch: number): Promise<void> {
    // Per consumer: enough unacked inputs to keep the pipeline busy while earlier ones wait for
    // their publish confirms, few enough that a crash redelivers a bounded batch (deduplicated by id).
    await channel.prefetch(prefetch);
    this.consumers = { channel, tags: new Map() };
    // Its consumers die with it: `consuming` must say so at once (readiness), not after the re-setup.
    channel.once('close', () => {
      if (this.consumers?.channel !== channel) return;
      this.consumers = undefined;
      for (const { queue } of this.queues) this.grace.released(queue);
    });
    await this.ensureConsuming(channel);
  }

  /** Consumes again, on `channel`, each input queue whose consumer the broker cancelled (after its re-declare). */
  async ensureConsuming(channel: ConfirmChannel): Promise<void> {
    const consumers = this.consumers;
    if (this.stopped || consumers?.channel !== channel) return;
    for (const { kind, queue } of this.queues) {
      if (consumers.tags.has(queue)) continue;
      const { consumerTag } = await channel.consume(queue, (msg) => this.onDelivery(kind, queue, channel, msg));
      consumers.tags.set(queue, consumerTag);
    }
    // Counted, never fed (shared/input-partitions.ts): how the coordinators know how many they are.
    const roll = coordinatorsQueue(this.deps.topology);
    if (this.queues.length > 2 && !consumers.tags.has(roll)) {
      const { consumerTag } = await channel.consume(roll, (msg) => this.onRollCall(roll, channel, msg), { noAck: true });
      consumers.tags.set(roll, consumerTag);
    }
  }

  /** Input queues with a live consumer of ours (for readiness, the topology watch and tests). */
  get consuming(): number {
    const tags = this.consumers?.tags;
    return tags ? this.queues.filter(({ queue }) => tags.has(queue)).length : 0;
  }

  /** Nothing is published to the roll-call queue; amqplib's null is the broker cancelling our consumer (queue deleted). */
  private onRollCall(queue: string, channel: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (msg) return;
    if (this.consumers?.channel === channel) this.consumers.tags.delete(queue);
    if (!this.stopped) this.deps.onCancelled?.(queue);
  }

  /** Partitions this coordinator is the active consumer of, as far as it knows (partition-share.ts), with their kinds. */
  get activeQueues(): { kind: InputKind; queue: string }[] {
    return this.grace.activeQueues.flatMap((queue) => this.queues.filter((entry) => entry.queue === queue));
  }

  /**
   * Gives a partition up to the next coordinator waiting for it: cancel our consumer (what we hold
   * of it is finished and acked as usual), then subscribe again behind the others.
   */
  async release(queue: string): Promise<void> {
    const consumers = this.consumers;
    const tag = consumers?.tags.get(queue);
    if (!consumers || tag === undefined || this.stopped) return;
    consumers.tags.delete(queue);
    // Until the cancel is through, what still arrives of it is older than anything the next one gets: handled at once.
    await consumers.channel.cancel(tag);
    this.grace.released(queue);
    await this.ensureConsuming(consumers.channel);
  }

  /** Stop taking input; what is in hand is finished (the caller waits for `inFlight`). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.grace.clear();
    // What joined a batch is stored before the partitions go: their next holder numbers its inputs after these, without a grace.
    this.handleArrived();
    const consumers = this.consumers;
    this.consumers = undefined;
    if (consumers) await Promise.all([...consumers.tags.values()].map((tag) => consumers.channel.cancel(tag).catch(() => undefined)));
  }

  /**
   * Group commit: every input that arrives in one turn of the event loop (amqplib hands over a
   * whole socket read at once) is handled inside one SQLite transaction, then logged in one
   * write, published together (a room's events in one delivery, docs/PROTOCOL.md §3.5) and acked
   * once every confirm is in. One WAL append and one delivery per room per turn, not per message.
   */
  private onDelivery(kind: InputKind, queue: string, channel: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (!msg) {
      // amqplib's sign that the broker cancelled the consumer (queue deleted): not silent.
      if (this.consumers?.channel === channel) this.consumers.tags.delete(queue);
      if (!this.stopped) this.deps.onCancelled?.(queue);
      return;
    }
    if (this.stopped) return;
    // A binding probe of the topology watch, routed as it should be, or our liveness probe: dropped
    // on arrival, before the admission gate and any count (it is no one's input).
    if (msg.properties.headers?.[PROBE_HEADER] !== undefined) {
      settle(() => channel.ack(msg));
      return;
    }
    const probeId = this.livenessProbeId(msg);
    if (probeId !== undefined) {
      settle(() => channel.ack(msg));
      this.deps.onLivenessProbe?.(queue, probeId);
      return;
    }
    this.acks.received(channel, msg);
    this.grace.enter(queue, { kind, queue, msg, channel, type: undefined, clientTs: undefined });
  }

  /**
   * The id of a liveness probe (sweeps/input-liveness.ts), only if the coordinator can have sent
   * it: empty, through `amq.default` (which a client may not write to in secure mode), and in
   * secure mode as the coordinator user (which the broker checks). Anything else carrying the
   * header is an input like any other, answered as one.
   */
  private livenessProbeId(msg: ConsumeMessage): string | undefined {
    const id: unknown = msg.properties.headers?.[LIVENESS_HEADER];
    if (id === undefined || msg.fields.exchange !== '' || msg.content.length > 0) return undefined;
    const coordinatorUser = this.deps.coordinatorUser;
    if (coordinatorUser !== undefined && msg.properties.userId !== coordinatorUser) return undefined;
    return Buffer.isBuffer(id) ? id.toString('utf8') : String(id);
  }

  private admit(input: Arrived): void {
    if (this.stopped) return;
    if (this.gate) this.gate.enter(input);
    else this.arrive(input);
  }

  /** Joins the next batch. After stop it is left unacked: the broker redelivers it to the next coordinator. */
  private arrive(input: Arrived): void {
    if (this.stopped) return;
    this.arrived.push(input);
    if (this.arrived.length > 1) return;
    // The first of a batch: the batch begins in the next turn, or when the commit window since the
    // last one has passed. Nothing is acked before its batch commits, whenever that is.
    const wait = this.lastBatchAt + (this.deps.commitWindowMs ?? 0) - performance.now();
    if (wait < 1) setImmediate(() => this.handleArrived());
    else this.windowTimer = setTimeout(() => this.handleArrived(), wait);
  }

  private handleArrived(): void {
    if (this.windowTimer !== undefined) {
      clearTimeout(this.windowTimer);
      this.windowTimer = undefined;
    }
    const batch = this.arrived;
    if (batch.length === 0) return;
    this.arrived = [];
    this.lastBatchAt = performance.now();
    const turn = this.deps.turn ?? ((fn) => fn());
    turn(() => this.handleBatch(batch));
  }

  private handleBatch(batch: Arrived[]): void {
    const { store, logger } = this.deps;
    // One entry per input handled so far: its outcome, or undefined once handed back for a retry.
    const outcomes: (Outcome | undefined)[] = [];
    const metrics = this.deps.metrics;
    const began = metrics ? performance.now() : 0;
    try {
      store.batch(() => {
        for (const input of batch) {
          const result = attemptInput(input, new Date(), this.deps);
          if (result === 'retry') {
            this.handBack(input);
            outcomes.push(undefined);
          } else outcomes.push(result);
        }
        this.deps.beforeCommit?.();
      });
    } catch (err) {
      // The commit failed, so nothing of the batch is stored: hand back every input not handed back yet.
      logger.error(`could not commit ${batch.length} input(s): ${err instanceof Error ? err.message : String(err)}`);
      for (const [i, input] of batch.entries()) {
        if (i >= outcomes.length || outcomes[i] !== undefined) this.handBack(input);
      }
      return;
    }
    metrics?.committed((performance.now() - began) / 1000, batch.length);
    // The batch's log lines in one write, in acceptance order; each input is then published and acked.
    try {
      this.deps.publisher.log(outcomes.filter((outcome): outcome is Outcome => outcome !== undefined));
    } catch (err) {
      logger.warn(`input not finished, left for redelivery: could not write the chat log: ${err instanceof Error ? err.message : String(err)}`);
      for (const [i, input] of batch.entries()) {
        if (outcomes[i]) this.handBack(input);
      }
      return;
    }
    const finished: { outcome: Outcome; input: Arrived }[] = [];
    for (const [i, input] of batch.entries()) {
      const outcome = outcomes[i];
      if (outcome) finished.push({ outcome, input });
    }
    if (finished.length > 0) this.finish(finished);
  }

  /**
   * The turn's publishes go out together (a room's events and a client's replies share
   * deliveries), and every input of the turn is acked once all their confirms are in. If any
   * publish fails, all of them are handed back: a redelivery is recognised by id and published again.
   */
  private finish(finished: readonly { outcome: Outcome; input: Arrived }[]): void {
    const entries = finished.map(({ outcome, input }) => ({ outcome, source: { queue: input.queue, msg: input.msg, attempts: attemptsOf(input.msg) } }));
    this.deps.inFlight.track(
      this.deps.publisher.carryOutTurn(entries).then(
        () => {
          const metrics = this.deps.metrics;
          for (const [channel, msgs] of byChannel(finished)) this.acks.ack(channel, msgs);
          for (const { input, outcome } of finished) {
            if (metrics) {
              metrics.handled(input.type, outcome.refused);
              metrics.finished(input.clientTs);
              if (outcome.deadLetter) metrics.deadLettered(outcome.deadLetter.code);
            }
          }
        },
        (err: unknown) => {
          for (const { input } of finished) this.handBack(input);
          throw err;
        },
      ),
    );
  }

  /** Hand an input back to its queue (requeued): the broker redelivers it, here or to the next coordinator. */
  private handBack(input: Arrived): void {
    this.acks.settledElsewhere(input.channel, input.msg);
    settle(() => input.channel.nack(input.msg, false, true));
  }
}

/** The turn's deliveries grouped by the channel they came on (their acks go back on it). */
function byChannel(finished: readonly { input: Arrived }[]): Map<ConfirmChannel, ConsumeMessage[]> {
  const groups = new Map<ConfirmChannel, ConsumeMessage[]>();
  for (const { input } of finished) {
    const group = groups.get(input.channel);
    if (group) group.push(input.msg);
    else groups.set(input.channel, [input.msg]);
  }
  return groups;
}
