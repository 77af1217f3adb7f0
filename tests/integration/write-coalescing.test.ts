import type { Socket } from 'node:net';
import amqplib, { type ChannelModel } from 'amqplib';
import { coalesceSocketWrites } from '../../shared/write-coalescing.js';
import { amqpUrl } from '../support/broker.js';
import { waitFor } from '../support/wait.js';

/** The socket amqplib writes to, with a count of the writes that reach the operating system's side of Node. */
function countedSocket(model: ChannelModel): { socket: Socket; writes: () => number } {
  const socket = (model as unknown as { connection: { stream: Socket } }).connection.stream;
  let writes = 0;
  const own = socket as unknown as { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  const write = own._write.bind(socket);
  const writev = own._writev.bind(socket);
  own._write = (...args) => {
    writes += 1;
    write(...args);
  };
  own._writev = (...args) => {
    writes += 1;
    writev(...args);
  };
  return { socket, writes: () => writes };
}

/** Publishes `count` messages in one tick on a confirm channel and reads them back in order. */
async function publishInOneTick(model: ChannelModel, count: number): Promise<{ received: string[] }> {
  const channel = await model.createConfirmChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  const received: string[] = [];
  await channel.consume(queue, (msg) => msg && received.push(msg.content.toString()), { noAck: true });
  for (let i = 0; i < count; i += 1) channel.publish('', queue, Buffer.from(`m${i}`));
  await channel.waitForConfirms();
  await waitFor(() => received.length === count, `${count} messages back`, 5000);
  await channel.close();
  return { received };
}

describe('coalesceSocketWrites: one socket write per tick', () => {
  const opened: ChannelModel[] = [];
  afterEach(async () => {
    for (const model of opened.splice(0)) await model.close().catch(() => undefined);
  });

  async function connect(): Promise<ChannelModel> {
    const model = await amqplib.connect(amqpUrl(), { noDelay: true });
    opened.push(model);
    return model;
  }

  it('changes nothing and says so for what is not an amqplib connection over a socket', () => {
    expect(coalesceSocketWrites(undefined)).toBe(false);
    expect(coalesceSocketWrites(null)).toBe(false);
    expect(coalesceSocketWrites('amqp://x')).toBe(false);
    expect(coalesceSocketWrites({ connection: { stream: {} } })).toBe(false);
    expect(coalesceSocketWrites({ connection: null })).toBe(false);
  });

  it('without it, 50 publishes in one tick are many socket writes (the baseline the next test beats)', async () => {
    const model = await connect();
    await publishInOneTick(model, 1); // channel and queue set up before counting
    const counted = countedSocket(model);
    const { received } = await publishInOneTick(model, 50);
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(counted.writes()).toBeGreaterThan(10);
  });

  it('with it, the same 50 publishes leave in a few writes, in order, every one confirmed and delivered', async () => {
    const model = await connect();
    await publishInOneTick(model, 1);
    expect(coalesceSocketWrites(model)).toBe(true);
    expect(coalesceSocketWrites(model)).toBe(true); // a second call does not wrap twice
    const counted = countedSocket(model);
    const { received } = await publishInOneTick(model, 50);
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    // Declaring the queue, consuming, the 50 publishes (one tick), the confirm wait and the close:
    // a handful of ticks, each one write, against one write per frame without coalescing.
    expect(counted.writes()).toBeLessThanOrEqual(8);
  });
});
