import type { Channel, ConsumeMessage } from 'amqplib';
import { AckCoalescer } from '../../server/input/ack-coalescer.js';

/** A channel that records the acks sent on it, as [deliveryTag, multiple]. */
function recordingChannel(): { channel: Channel; acks: [number, boolean][] } {
  const acks: [number, boolean][] = [];
  const channel = { ack: (msg: ConsumeMessage, allUpTo = false) => acks.push([msg.fields.deliveryTag, allUpTo]) } as unknown as Channel;
  return { channel, acks };
}

const delivery = (tag: number): ConsumeMessage => ({ fields: { deliveryTag: tag }, properties: {}, content: Buffer.alloc(0) }) as unknown as ConsumeMessage;

function receivedAll(coalescer: AckCoalescer, channel: Channel, count: number): ConsumeMessage[] {
  const msgs = Array.from({ length: count }, (_, i) => delivery(i + 1));
  for (const msg of msgs) coalescer.received(channel, msg);
  return msgs;
}

describe('AckCoalescer', () => {
  it('acks a turn that closes the oldest gap in one frame with multiple', () => {
    const { channel, acks } = recordingChannel();
    const coalescer = new AckCoalescer();
    const msgs = receivedAll(coalescer, channel, 5);
    coalescer.ack(channel, msgs.slice(0, 3));
    coalescer.ack(channel, msgs.slice(3));
    expect(acks).toEqual([
      [3, true],
      [5, true],
    ]);
  });

  it('acks at once, one by one, what finished behind an input still in hand; then the gap closes without acking any twice', () => {
    const { channel, acks } = recordingChannel();
    const coalescer = new AckCoalescer();
    const msgs = receivedAll(coalescer, channel, 5);
    // 2 waits (a login hashing its password); 1, 3, 4 finish.
    coalescer.ack(channel, [msgs[0]!, msgs[2]!, msgs[3]!]);
    expect(acks).toEqual([
      [1, true],
      [3, false],
      [4, false],
    ]);
    coalescer.ack(channel, [msgs[1]!]);
    // 2 closes the gap; 3 and 4 are acked already, so the frame goes up to 2 only.
    expect(acks.slice(3)).toEqual([[2, true]]);
    coalescer.ack(channel, [msgs[4]!]);
    expect(acks.slice(4)).toEqual([[5, true]]);
  });

  it('never covers a handed-back delivery with a later multiple ack, and does not wait for it', () => {
    const { channel, acks } = recordingChannel();
    const coalescer = new AckCoalescer();
    const msgs = receivedAll(coalescer, channel, 3);
    coalescer.settledElsewhere(channel, msgs[0]!);
    coalescer.ack(channel, [msgs[1]!, msgs[2]!]);
    // Tag 1 was nacked (requeued): no longer outstanding, so "up to 3" cannot touch it.
    expect(acks).toEqual([[3, true]]);
  });

  it('keeps channels apart: a new channel after a reconnect starts its own tags', () => {
    const first = recordingChannel();
    const second = recordingChannel();
    const coalescer = new AckCoalescer();
    const old = receivedAll(coalescer, first.channel, 2);
    const fresh = receivedAll(coalescer, second.channel, 2);
    coalescer.ack(second.channel, fresh);
    coalescer.ack(first.channel, [old[1]!]);
    expect(second.acks).toEqual([[2, true]]);
    expect(first.acks).toEqual([[2, false]]);
  });

  it('acks one by one on a channel it never saw a delivery of', () => {
    const { channel, acks } = recordingChannel();
    new AckCoalescer().ack(channel, [delivery(7), delivery(9)]);
    expect(acks).toEqual([
      [7, false],
      [9, false],
    ]);
  });
});
