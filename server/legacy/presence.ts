import { closeThrowawayChannel, type BrokerConnection } from '../../shared/index.js';
import type { Session } from '../state/registry.js';

export type QueueState = 'present' | 'gone' | 'unknown';

/**
 * Whether a queue exists, by a passive declare on a channel of its own (the broker closes the
 * channel when the answer is no). 404 NOT_FOUND: gone. 405 RESOURCE_LOCKED: it exists, exclusive
 * to another connection, which is how a live legacy client's queue looks. Anything else (no
 * connection, a broker hiccup) is "unknown", which never frees a name.
 */
export async function probeQueue(connection: BrokerConnection, queue: string): Promise<QueueState> {
  const channel = await connection.openThrowawayChannel().catch(() => undefined);
  if (!channel) return 'unknown';
  // The broker closing the channel is the answer, not a fault.
  channel.on('error', () => undefined);
  try {
    await channel.checkQueue(queue);
    return 'present';
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return code === 404 ? 'gone' : code === 405 ? 'present' : 'unknown';
  } finally {
    await closeThrowawayChannel(channel);
  }
}

export interface PresenceWatchOptions {
  intervalMs: number;
  /** The sessions to watch, read afresh every round. */
  sessions: () => Session[];
  probe: (queue: string) => Promise<QueueState>;
  onGone: (session: Session) => void;
  onError: (err: unknown) => void;
}

/**
 * Those clients have no heartbeat, but each holds an exclusive queue named after its uuid for as
 * long as its connection lives. Every round checks each legacy session's queue and reports the
 * ones that are gone. A session younger than one interval is left alone: its client may still be
 * declaring the queue. Rounds never overlap.
 */
export class PresenceWatch {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: PresenceWatchOptions) {}

  start(): void {
    this.schedule();
  }

  /** Runs one round now (tests, and the timer). */
  check(): Promise<void> {
    this.round ??= this.runRound().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.options.intervalMs);
  }

  private async runRound(): Promise<void> {
    const settledBefore = Date.now() - this.options.intervalMs;
    for (const session of this.options.sessions()) {
      if (this.stopped) return;
      if (Date.parse(session.since) > settledBefore) continue;
      try {
        const state = await this.options.probe(session.clientId);
        if (state === 'gone' && !this.stopped) this.options.onGone(session);
      } catch (err) {
        this.options.onError(err);
      }
    }
  }
}
