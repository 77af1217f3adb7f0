import type { ConfirmChannel, Options } from 'amqplib';

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
}

/** How long to wait before publishing again a message the broker refused (nacked). */
const NACK_RETRY_MS = 500;

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
  }

  /** A new channel with our queue consuming: publish again everything still waiting, in order. */
  attach(channel: ConfirmChannel): void {
    this.channel = channel;
    for (const entry of this.entries.values()) this.publish(entry, channel);
  }

  detach(channel: ConfirmChannel): void {
    if (this.channel === channel) this.channel = undefined;
  }

  close(): void {
    this.channel = undefined;
    this.entries.clear();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private publish(entry: OutgoingMessage, channel: ConfirmChannel): void {
    try {
      channel.publish(entry.exchange, entry.routingKey, entry.content, entry.options, (err) => {
        if (!err) {
          if (this.entries.get(entry.id) === entry) entry.onConfirmed?.();
        } else if (this.channel === channel) {
          // Nacked by a live broker (it could not take the message just now): try again shortly.
          this.retryLater(entry, channel);
        }
        // Otherwise the channel closed: `attach` publishes it again on the next one.
      });
    } catch {
      // The channel is closing; `attach` publishes it again on the next one.
    }
  }

  private retryLater(entry: OutgoingMessage, channel: ConfirmChannel): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.channel === channel && this.entries.get(entry.id) === entry) this.publish(entry, channel);
    }, NACK_RETRY_MS);
    timer.unref();
    this.retryTimers.add(timer);
  }
}
