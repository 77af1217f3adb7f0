import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { Command } from 'commander';
import { booleanFromText, declareSharedTopology, topologyFor, type Topology } from '../shared/index.js';

/**
 * What both relays of the benchmark share (bench/ceiling-relay.ts publishes each message on its
 * own, bench/batched-relay.ts a turn's worth at once): their arguments, the connection with the
 * benchmark's socket options, and the event a chat input becomes.
 */
export interface Relay {
  topology: Topology;
  connection: ChannelModel;
  channel: ConfirmChannel;
}

/** The chat input as the bench's raw clients send it. */
export interface RelayInput {
  id: string;
  from: string;
  room: string;
  text: string;
  clientTs: string;
}

export async function openRelay(program: string): Promise<Relay> {
  const args = new Command(program)
    .requiredOption('--namespace <ns>', 'namespace of the queue and exchange')
    .option('--prefetch <n>', 'unacknowledged inputs at once', '200')
    .option('--tcp-no-delay <bool>', "TCP_NODELAY on the socket (Nagle's algorithm off)", 'true')
    .parse(process.argv)
    .opts<{ namespace: string; prefetch: string; tcpNoDelay: string }>();
  const noDelay = booleanFromText.parse(args.tcpNoDelay);
  const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const topology = topologyFor(args.namespace);
  const connection = await amqplib.connect(url, { noDelay, clientProperties: { connection_name: `bench-${program} ${args.namespace}` } });
  const channel = await connection.createConfirmChannel();
  await declareSharedTopology(channel, topology);
  await channel.prefetch(Number(args.prefetch));
  return { topology, connection, channel };
}

/** The event a relay publishes for an input: warren's message event, stamped with the sequence number and the server time. */
export function relayEvent(input: RelayInput, seq: number): Record<string, unknown> {
  return {
    type: 'message',
    room: input.room,
    seq,
    id: randomUUID(),
    num: seq,
    clientMsgId: input.id,
    from: input.from,
    text: input.text,
    clientTs: input.clientTs,
    serverTs: new Date().toISOString(),
  };
}

/** On SIGTERM or SIGINT: stop consuming, wait (up to 5 s) for the confirms still due, close, exit. */
export function stopOnSignal(relay: Relay, consumerTag: string, pending: () => number): void {
  const stop = async (): Promise<void> => {
    await relay.channel.cancel(consumerTag).catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (pending() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await relay.connection.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

export function failed(err: unknown): void {
  process.stderr.write(`relay failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
