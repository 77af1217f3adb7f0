import type { Channel, ConsumeMessage } from 'amqplib';

interface Outstanding {
  msg: ConsumeMessage;
  /** Finished, its ack not yet sent. */
  done: boolean;
  /** Acked or handed back already. */
  settled: boolean;
}

/**
 * Acks a turn's inputs with as few frames as the broker allows. Deliveries on one channel carry
 * increasing delivery tags; once every delivery up to some tag is finished, one `basic.ack` with
 * `multiple` settles them all. A finished delivery behind one still in hand (a login waiting for
 * its password hash) is acked on its own at once, so that nothing waits for a slow neighbour.
 * With TCP_NODELAY every frame is its own write: one ack per turn instead of one per input.
 */
export class AckCoalescer {
  private readonly channels = new WeakMap<Channel, Outstanding[]>();

  /** Every delivery is recorded as it arrives, in the order of its tag. */
  received(channel: Channel, msg: ConsumeMessage): void {
    let queue = this.channels.get(channel);
    if (!queue) {
      queue = [];
      this.channels.set(channel, queue);
    }
    queue.push({ msg, done: false, settled: false });
  }

  /** `msgs` are finished: ack them, in one frame when they close the oldest gap. */
  ack(channel: Channel, msgs: readonly ConsumeMessage[]): void {
    const queue = this.channels.get(channel);
    if (!queue) {
      for (const msg of msgs) settle(() => channel.ack(msg));
      return;
    }
    const finished = new Set(msgs);
    for (const entry of queue) if (finished.has(entry.msg)) entry.done = true;
    // The oldest run of finished deliveries goes in one frame, up to its last unacked one.
    let prefix = 0;
    let last: ConsumeMessage | undefined;
    while (prefix < queue.length && (queue[prefix] as Outstanding).done) {
      const entry = queue[prefix] as Outstanding;
      if (!entry.settled) last = entry.msg;
      prefix += 1;
    }
    queue.splice(0, prefix);
    if (last) {
      const upTo = last;
      settle(() => channel.ack(upTo, true));
    }
    // The rest of this turn waits behind an input still in hand: acked one by one.
    for (const entry of queue) {
      if (entry.done && !entry.settled && finished.has(entry.msg)) {
        entry.settled = true;
        settle(() => channel.ack(entry.msg));
      }
    }
  }

  /** Handed back (or acked) outside the coalescing: never part of a later `multiple`. */
  settledElsewhere(channel: Channel, msg: ConsumeMessage): void {
    const queue = this.channels.get(channel);
    const entry = queue?.find((candidate) => candidate.msg === msg);
    if (!entry || !queue) return;
    entry.done = true;
    entry.settled = true;
    // Settled entries at the front need nothing more.
    let prefix = 0;
    while (prefix < queue.length && (queue[prefix] as Outstanding).settled) prefix += 1;
    queue.splice(0, prefix);
  }
}

/** Acking on a channel that has since closed is harmless: the broker redelivers, and we deduplicate. */
export function settle(action: () => void): void {
  try {
    action();
  } catch {
    /* channel gone */
  }
}
