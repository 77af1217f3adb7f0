import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';

/**
 * Header of a liveness probe: the coordinator publishes one straight to each input queue it is
 * the active consumer of (through `amq.default`), and its own consumer acks and drops it on
 * arrival (input-pipeline.ts). The value is the probe's id; a probe nobody here sent (another
 * coordinator's, a client's forgery) is dropped without effect.
 */
export const LIVENESS_HEADER = 'x-warren-liveness';

/** How often each queue is probed: a fifth of the session timeout, within 200 ms and 2 s. */
export function livenessIntervalMs(sessionTimeoutMs: number): number {
  return Math.max(200, Math.min(2000, Math.floor(sessionTimeoutMs / 5)));
}

export interface InputLivenessDeps {
  /** The input queues this coordinator is the active consumer of now (the others deliver to someone else). */
  activeQueues: () => readonly string[];
  /** Publish a probe with this id to `queue`; false while there is no connection to publish on. */
  send: (queue: string, probeId: string) => boolean;
  intervalMs: number;
  /** A probe out for longer than this: its queue is stalled (it delivers nothing, heartbeats included). */
  stallMs: number;
  /** At each round while a queue is stalled (stall-record.ts tells the other coordinators). */
  onStalled?: (nowMs: number) => void;
  logger: Logger;
  now?: () => number;
}

/**
 * Whether the input this coordinator consumes is flowing. A session may only be timed out for a
 * silence the coordinator could have heard: while the broker is away (the session sweep already
 * waits for that), and equally while the connection is up but a queue delivers nothing, such as a
 * quorum queue without its majority during a rolling restart, a consumer the broker stopped
 * feeding, or a backlog in front of the heartbeats. Each queue gets a probe at a time; one that
 * has not come back within `stallMs` marks its queue stalled, and `flowingSinceMs` is undefined
 * until every stalled queue delivered its probe, then counts from that moment
 * (docs/RELIABILITY.md "Sessions and a stalled input").
 */
export class InputLiveness {
  /** Probes out, by id: the queue and when it was sent. At most one per queue. */
  private readonly out = new Map<string, { queue: string; sentAtMs: number }>();
  private readonly stalled = new Map<string, number>();
  private flowingSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: InputLivenessDeps) {
    this.now = deps.now ?? Date.now;
    this.flowingSince = this.now();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Since when every input queue held here has delivered its probes in time; undefined while one is stalled. */
  get flowingSinceMs(): number | undefined {
    return this.flowingSince;
  }

  /** Queues stalled now (for the log and tests). */
  get stalledQueues(): string[] {
    return [...this.stalled.keys()];
  }

  /**
   * The connection went or came back: probes out are void (one still in a queue is dropped as
   * unknown when it arrives), and nothing is stalled until a new probe says so.
   */
  reset(): void {
    this.out.clear();
    this.stalled.clear();
    this.flowingSince = this.now();
  }

  /** One round: mark the queues whose probe is overdue, forget queues no longer held, probe the rest. */
  tick(): void {
    const now = this.now();
    const active = new Set(this.deps.activeQueues());
    for (const [id, probe] of this.out) {
      if (!active.has(probe.queue)) {
        // Given up or lost with its channel: whoever holds it now is not ours to judge.
        this.out.delete(id);
        this.unstall(probe.queue, now, 'is no longer consumed here');
      } else if (now - probe.sentAtMs > this.deps.stallMs && !this.stalled.has(probe.queue)) {
        this.stalled.set(probe.queue, probe.sentAtMs);
        this.flowingSince = undefined;
        this.deps.logger.warn(`input queue ${probe.queue} delivered nothing for ${now - probe.sentAtMs} ms (a probe has not come back): no session is timed out until it flows again`);
      }
    }
    if (this.stalled.size > 0) this.deps.onStalled?.(now);
    const probed = new Set([...this.out.values()].map((probe) => probe.queue));
    for (const queue of active) {
      if (probed.has(queue)) continue;
      const id = randomUUID();
      if (!this.deps.send(queue, id)) continue;
      this.out.set(id, { queue, sentAtMs: now });
    }
  }

  /** A probe reached our consumer of `queue`. */
  arrived(queue: string, probeId: string): void {
    const probe = this.out.get(probeId);
    if (!probe || probe.queue !== queue) return;
    this.out.delete(probeId);
    this.unstall(queue, this.now(), 'flows again');
  }

  private unstall(queue: string, now: number, why: string): void {
    const since = this.stalled.get(queue);
    if (since === undefined) return;
    this.stalled.delete(queue);
    this.deps.logger.info(`input queue ${queue} ${why} after ${now - since} ms`);
    if (this.stalled.size === 0) this.flowingSince = now;
  }
}
