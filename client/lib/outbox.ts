import type { ConfirmChannel, Message, Options } from 'amqplib';
import { ERROR_CODES, WarrenError } from '../../shared/index.js';

export interface OutgoingMessage {
  /** The chat message id or requestId: the coordinator recognises a repeat by it. */
  id: string;
  /** Where it goes: the input exchange and its routing key (`chat` or `command`). */
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
  /** Called each time the broker confirms a copy of this message (it is then in a durable queue). */
  onConfirmed?: () => void;
  /**
   * The broker refused it (nack: an input queue at its cap, `reject-publish`). It is dropped from
   * the outbox: a flood is refused to the flooder, who is told, instead of being retried into a
   * full queue; what was confirmed before is not touched.
   */
  onRefused?: (error: WarrenError) => void;
}

/** How long to wait before publishing again a message no queue took (returned: the input queue is missing). */
const UNROUTED_RETRY_MS = 500;

/**
 * Pauses before publishing a nacked message again. A nack means a full input queue, but also a
 * quorum queue whose leader was on a cluster node that just died (its replicas elect another in
 * a few hundred ms): refusing at once would drop a message the chat would have taken a moment
 * later. A queue still full after these pauses (about 6 s) is one: refused then.
 */
const NACK_RETRY_MS = [200, 400, 800, 1600, 3200] as const;

export const CHAT_BUSY_MESSAGE = 'the chat is not accepting messages right now; try again';

/**
 * Everything the client has published and not yet had an answer to, in the order it was sent.
 *
 * Messages go out directly on the live channel. While there is none (offline), they wait here,
 * not in a timer. When a new channel comes up after a reconnect, every waiting message is published
 * again, in the original order: those never confirmed, and also those confirmed earlier, whose
 * answer may have been dropped with our old queue. Publishing again is safe because the
 * coordinator recognises a repeated id (a chat message is stored, logged and numbered once).
 * Publishing ourselves rather than through the channel wrapper's buffer keeps the order: the
 * wrapper hands back a message that was in flight when the connection dropped as failed, after
 * later ones have already been queued behind it.
 */
export class Outbox {
  private readonly entries = new Map<string, OutgoingMessage>();
  private channel: ConfirmChannel | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Ids the broker returned as unroutable; their confirm follows the return. */
  private readonly returned = new Set<string>();
  private readonly watched = new WeakSet<ConfirmChannel>();
  /** Nacks so far per message id. */
  private readonly nacks = new Map<string, number>();
  /** Channels already handed to `onNackedAgain`. */
  private readonly recycled = new WeakSet<ConfirmChannel>();
  private lastRecycleMs = 0;
  /** Ids the broker confirmed at least once: a nack of a later copy leaves the first copy queued. */
  private readonly confirmedOnce = new Set<string>();

  /**
   * `onNackedAgain`: a message nacked on a channel (at most once per channel and per 2 s, so a
   * full queue does not become a reconnect storm). A channel opened while a quorum
   * queue's leader was being elected (its node just died) can keep sending to the dead leader and
   * have every publish nacked for many seconds; a new connection asks the new leader. Called once
   * per channel; everything waiting is published again, in order, on the next one.
   */
  constructor(private readonly onNackedAgain?: () => void) {}

  get size(): number {
    return this.entries.size;
  }

  add(message: OutgoingMessage): void {
    this.entries.set(message.id, message);
    if (this.channel) this.publish(message, this.channel);
  }

  /** The message was answered (or abandoned): never publish it again. */
  remove(id: string): void {
    this.entries.delete(id);
    this.nacks.delete(id);
    this.confirmedOnce.delete(id);
  }

  /** A new channel with our queue consuming: publish again everything still waiting, in order. */
  attach(channel: ConfirmChannel): void {
    this.channel = channel;
    // A stand-in channel without events (tests) has no returns to watch.
    if (!this.watched.has(channel) && typeof channel.on === 'function') {
      this.watched.add(channel);
      channel.on('return', (msg: Message) => {
        const id: unknown = msg.properties.correlationId;
        if (typeof id === 'string' && this.entries.has(id)) this.returned.add(id);
      });
    }
    for (const entry of this.entries.values()) this.publish(entry, channel);
  }

  detach(channel: ConfirmChannel): void {
    if (this.channel === channel) this.channel = undefined;
  }

  close(): void {
    this.channel = undefined;
    this.entries.clear();
    this.returned.clear();
    this.nacks.clear();
    this.confirmedOnce.clear();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private publish(entry: OutgoingMessage, channel: ConfirmChannel): void {
    try {
      // Mandatory: a message no queue takes (no input queue is bound to `<ns>.input`: the coordinator has not
      // declared it yet, or an input queue was deleted) comes back instead of
      // being confirmed and lost; it is published again until the coordinator has restored the queue.
      channel.publish(entry.exchange, entry.routingKey, entry.content, { ...entry.options, mandatory: true }, (err) => {
        const unrouted = this.returned.delete(entry.id);
        if (this.entries.get(entry.id) !== entry) return;
        if (!err && !unrouted) {
          this.confirmedOnce.add(entry.id);
          entry.onConfirmed?.();
        }
        else if (!err) this.retryLater(entry, channel);
        else if (isNack(err)) {
          // A copy sent again after a reconnect: the first one is in the queue already.
          if (this.confirmedOnce.has(entry.id)) return;
          const nacks = (this.nacks.get(entry.id) ?? 0) + 1;
          this.nacks.set(entry.id, nacks);
          if (!this.recycled.has(channel) && Date.now() - this.lastRecycleMs >= 2000 && this.onNackedAgain) {
            // Everything waiting goes out again, in order, on the next channel (attach).
            this.recycled.add(channel);
            this.lastRecycleMs = Date.now();
            this.onNackedAgain();
            return;
          }
          const pause = NACK_RETRY_MS[nacks - 1];
          if (pause !== undefined) {
            this.retryLater(entry, undefined, pause);
            return;
          }
          // Nacked again and again by a live broker: the queue is full. Refused, and said so.
          this.entries.delete(entry.id);
          this.nacks.delete(entry.id);
          entry.onRefused?.(new WarrenError(ERROR_CODES.CHAT_BUSY, CHAT_BUSY_MESSAGE));
        }
        // Otherwise the channel closed (amqplib fails every pending confirm): `attach` publishes it again on the next one.
      });
    } catch {
      // The channel is closing; `attach` publishes it again on the next one.
    }
  }

  /** Publishes it again after `pauseMs` on `channel` (undefined: whichever channel is live then; none: `attach` will). */
  private retryLater(entry: OutgoingMessage, channel: ConfirmChannel | undefined, pauseMs = UNROUTED_RETRY_MS): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      const live = this.channel;
      if (live && (channel === undefined || live === channel) && this.entries.get(entry.id) === entry) this.publish(entry, live);
    }, pauseMs);
    timer.unref();
    this.retryTimers.add(timer);
  }
}

/** amqplib's confirm error for a broker nack, as opposed to 'channel closed' for every pending confirm of a closing channel. */
function isNack(err: unknown): boolean {
  return err instanceof Error && err.message === 'message nacked';
}
