import type { InputKind } from '../../shared/index.js';
import type { Logger } from '../logger.js';

/** How long a partition's first deliveries wait after this coordinator became its active consumer. */
export const TAKEOVER_GRACE_MS = 250;
/** How often a coordinator checks that it holds no more than its share of the partitions. */
export const BALANCE_INTERVAL_MS = 5000;

/**
 * The first deliveries of a partition this coordinator just became the active consumer of wait a
 * moment before they are handled, when another coordinator is alive: one that gave the partition
 * up (partition balance) may still be finishing inputs it received before; those are older, and
 * must take their sequence numbers first. With no other coordinator alive, no one can be finishing
 * any: a coordinator that stopped gracefully stored what it held before it let its partitions go
 * (input-pipeline.ts `stop`), and a crashed one's inputs come back from the queue before anything
 * newer. So a coordinator that starts alone, or survives alone, serves at once.
 */
export class TakeoverGrace<T> {
  private readonly held = new Map<string, T[]>();
  private readonly active = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** `othersAlive`: whether another coordinator consumes the input now; true (the grace) when it cannot be told. */
  constructor(
    private readonly graceMs: number,
    private readonly pass: (input: T) => void,
    private readonly othersAlive: () => Promise<boolean> = () => Promise.resolve(true),
  ) {}

  enter(queue: string, input: T): void {
    if (this.active.has(queue)) {
      this.pass(input);
      return;
    }
    const waiting = this.held.get(queue);
    if (waiting) {
      waiting.push(input);
      return;
    }
    const held = [input];
    this.held.set(queue, held);
    const timer = setTimeout(() => this.open(queue, held, timer), this.graceMs);
    this.timers.add(timer);
    // The grace runs meanwhile: the answer can only cut it short.
    this.othersAlive().then(
      (alive) => {
        if (!alive) this.open(queue, held, timer);
      },
      () => undefined,
    );
  }

  /** The partition's held inputs go on, in the order they came; nothing if they were dropped (`clear`) or went on already. */
  private open(queue: string, held: T[], timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
    if (this.held.get(queue) !== held) return;
    this.held.delete(queue);
    this.active.add(queue);
    for (const input of held) this.pass(input);
  }

  /** This coordinator is no longer the partition's consumer: a later first delivery waits again. */
  released(queue: string): void {
    this.active.delete(queue);
  }

  /** Partitions that delivered to this coordinator since it last (re)subscribed to them. */
  get activeQueues(): string[] {
    return [...this.active];
  }

  /** Stop: what is held is dropped unhandled (left unacked, the broker redelivers it). */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.held.clear();
    this.active.clear();
  }
}

export interface PartitionBalancerDeps {
  /** Partitions of each kind (chat, command). */
  partitions: number;
  /** Coordinators consuming the input now (each consumes every partition); undefined when it cannot be read. */
  coordinators: () => Promise<number | undefined>;
  /** Partitions this coordinator is the active consumer of, as far as it knows (those that delivered), with their kinds. */
  activeQueues: () => readonly { kind: InputKind; queue: string }[];
  /** Give a partition up: cancel its consumer (the broker makes the next coordinator active) and queue up again behind the others. */
  release: (queue: string) => Promise<void>;
  logger: Logger;
  intervalMs?: number;
}

/**
 * The broker makes the first subscriber of a single-active-consumer queue its consumer and keeps it
 * there, so a coordinator started later would stand by forever. Every few seconds each coordinator
 * counts the coordinators (the consumers of the roll-call queue) and, holding more than its share
 * of one kind's partitions that have traffic, gives the rest up; the next waiting coordinator takes
 * each. A partition without traffic is not known to be held, and costs nothing to hold.
 */
export class PartitionBalancer {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly deps: PartitionBalancerDeps) {}

  start(): void {
    if (this.deps.partitions <= 1) return;
    this.timer = setInterval(() => void this.balance(), this.deps.intervalMs ?? BALANCE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One step: give up what is over the share (the next waiting coordinator takes each). */
  async balance(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const coordinators = await this.deps.coordinators();
      if (coordinators === undefined || coordinators < 2) return;
      // Per kind: chat partitions carry most of the work, commands a little; each is shared out on its own.
      const share = Math.ceil(this.deps.partitions / coordinators);
      const byKind = new Map<InputKind, string[]>();
      for (const { kind, queue } of this.deps.activeQueues()) byKind.set(kind, [...(byKind.get(kind) ?? []), queue]);
      for (const [kind, active] of byKind) {
        if (active.length <= share) continue;
        const given = active.slice(share);
        this.deps.logger.info(`giving ${given.join(', ')} to other coordinators (${active.length} ${kind} partitions held with traffic, share ${share} of ${this.deps.partitions} among ${coordinators})`);
        for (const queue of given) await this.deps.release(queue);
      }
    } catch (err) {
      this.deps.logger.warn(`partition balance skipped: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.running = false;
    }
  }
}
