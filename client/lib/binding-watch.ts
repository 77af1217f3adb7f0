import type { Channel } from 'amqplib';
import { closeThrowawayChannel } from '../../shared/throwaway-channel.js';

/** What the client says about its link to the chat beyond the connection itself (a status line). */
export type LinkNotice = { state: 'lost'; what: string } | { state: 'restored'; what: string };

export interface BindingWatchDeps {
  /** Our queue's name and the link's checks; `ownQueueDeleted` says so and replays the whole set-up. */
  link: { readonly queue: string; readonly isConnected: boolean; openThrowawayChannel(): Promise<Channel | undefined>; ownQueueDeleted(noticedBy: string): void };
  eventsExchange: string;
  /** Every routing key our queue must be bound with: presence, general and each public room followed. */
  routingKeys: () => readonly string[];
  notice: (notice: LinkNotice) => void;
  /** After a loss is repaired: fetch what was missed from history (the room feed fills by sequence). */
  refill: () => void;
  /**
   * True when a message we sent is still waiting for its acceptance. Its acceptance comes through
   * our bindings, so a silently lost binding would leave it waiting for good: each check then
   * fetches from history, which shows (and settles) it.
   */
  waiting: () => boolean;
}

/**
 * Keeps the client's bindings in place. With each heartbeat it checks, on a channel of its own
 * that may die without harm, that our queue and `<ns>.events` exist, and binds every key again
 * (idempotent: a binding an admin removed comes back within one heartbeat, and the room feed
 * fills the gap from history when the next message shows it). Our queue gone: the link says it
 * was deleted and reconnects (the consumer's cancel usually says so first; one notice either
 * way). The exchange gone: the status says so until the coordinator has restored it, then the
 * bindings are made again and history fills what was missed. docs/RELIABILITY.md "What a client
 * restores".
 */
export class BindingWatch {
  private timer: NodeJS.Timeout | undefined;
  private lost: string | undefined;
  private checking = false;
  /**
   * The check's channel, kept from one check to the next: opening and closing a channel for each
   * check cost the broker about as much as the checks themselves (measured with 600 idle
   * clients, docs/PERFORMANCE.md "Scale"). A failed check closes it (the broker closes a channel
   * on a 404), as does a reconnect; the next check opens another.
   */
  private channel: Channel | undefined;
  private stopped = false;

  constructor(private readonly deps: BindingWatchDeps) {}

  start(intervalMs: number): void {
    this.stop();
    this.stopped = false;
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    const channel = this.channel;
    this.channel = undefined;
    if (channel) void closeThrowawayChannel(channel);
  }

  /** One pass; never rejects. */
  async check(): Promise<void> {
    const { link, eventsExchange } = this.deps;
    if (this.checking || !link.isConnected) return;
    this.checking = true;
    try {
      const channel = await this.checkChannel();
      if (!channel) return;
      if (!(await succeeds(channel.checkQueue(link.queue)))) {
        link.ownQueueDeleted('found missing by the binding check');
        return;
      }
      if (!(await succeeds(channel.checkExchange(eventsExchange)))) {
        const what = `the chat's exchange ${eventsExchange} is gone (waiting for the coordinator to restore it)`;
        if (this.lost === undefined) this.deps.notice({ state: 'lost', what });
        this.lost = what;
        return;
      }
      for (const key of this.deps.routingKeys()) await channel.bindQueue(link.queue, eventsExchange, key);
      if (this.lost !== undefined) {
        this.lost = undefined;
        this.deps.notice({ state: 'restored', what: `bindings to ${eventsExchange} restored; fetching missed messages` });
        this.deps.refill();
      } else if (this.deps.waiting()) this.deps.refill();
    } catch {
      // The link dropped during the check: the reconnect's set-up binds everything again.
    } finally {
      this.checking = false;
    }
  }

  /** The kept channel, or a new one on the link's current connection (undefined while it has none). */
  private async checkChannel(): Promise<Channel | undefined> {
    if (this.channel) return this.channel;
    const channel = await this.deps.link.openThrowawayChannel();
    if (!channel) return undefined;
    channel.on('error', () => undefined);
    channel.once('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    if (this.stopped) {
      // Stopped while it opened.
      await closeThrowawayChannel(channel);
      return undefined;
    }
    this.channel = channel;
    return channel;
  }
}

async function succeeds(check: Promise<unknown>): Promise<boolean> {
  try {
    await check;
    return true;
  } catch {
    return false;
  }
}
