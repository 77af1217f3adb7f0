import type { Channel } from 'amqplib';
import { closeThrowawayChannel } from '../../shared/throwaway-channel.js';

export interface QueueDepthsOptions {
  /** Label → queue name, e.g. `{ chat: 'warren.chat' }`. */
  queues: Readonly<Record<string, string>>;
  /** A bare channel on the current connection, or undefined while disconnected; closed after use. */
  openChannel: () => Promise<Channel | undefined>;
  /** Ask the broker at most this often; in between the last answer is served (default 5000 ms). */
  minIntervalMs?: number;
  /** Give up on one refresh after this long (default 2000 ms). */
  timeoutMs?: number;
}

/**
 * Messages waiting in a few queues, by passive declare (checkQueue) on a throwaway channel: a
 * queue that is gone closes that channel with 404, never the coordinator's own. Asked at scrape
 * time, at most once per `minIntervalMs` however often anyone scrapes; between asks, and while the
 * broker is away, the last known depths are served (a queue never seen is left out).
 */
export class QueueDepths {
  private readonly depths = new Map<string, number>();
  private lastAskedMs = Number.NEGATIVE_INFINITY;
  private asking: Promise<void> | undefined;

  constructor(private readonly options: QueueDepthsOptions) {}

  /** The depths, refreshed first if the last ask is older than `minIntervalMs`. */
  async current(nowMs = Date.now()): Promise<ReadonlyMap<string, number>> {
    if (nowMs - this.lastAskedMs >= (this.options.minIntervalMs ?? 5000)) {
      this.lastAskedMs = nowMs;
      this.asking ??= this.ask().finally(() => (this.asking = undefined));
    }
    if (this.asking) await withTimeout(this.asking, this.options.timeoutMs ?? 2000);
    return this.depths;
  }

  private async ask(): Promise<void> {
    let channel: Channel | undefined;
    const fresh = async (): Promise<Channel | undefined> => {
      if (channel) return channel;
      channel = await this.options.openChannel();
      // A queue that is gone closes the channel with an error event: expected here.
      channel?.on('error', () => undefined);
      return channel;
    };
    try {
      for (const [label, queue] of Object.entries(this.options.queues)) {
        const ch = await fresh();
        if (!ch) return;
        try {
          const { messageCount } = await ch.checkQueue(queue);
          this.depths.set(label, messageCount);
        } catch {
          // Gone (404) or held exclusively (405): no depth to report, and the channel is closed.
          this.depths.delete(label);
          channel = undefined;
        }
      }
    } catch {
      /* disconnected meanwhile: the last known depths stay */
    } finally {
      const ch = channel as Channel | undefined;
      // amqplib's close() alone would never settle under a reconnect, and `asking` would stay set for good.
      if (ch) await closeThrowawayChannel(ch);
    }
  }
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
