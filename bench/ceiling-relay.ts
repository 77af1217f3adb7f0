#!/usr/bin/env node
/**
 * The ceiling: the least a relay in warren's shape can do with raw amqplib. It consumes the
 * namespace's chat queue (the same quorum queue warren declares), stamps each message with a
 * sequence number and the server time, publishes it to the topic exchange with a confirm, and
 * acks the input once confirmed. No validation, no store, no log: what is left is the broker
 * and the client library.
 */
import { randomUUID } from 'node:crypto';
import amqplib, { type ConsumeMessage } from 'amqplib';
import { Command } from 'commander';
import { DEFAULT_ROOM, declareSharedTopology, topologyFor } from '../shared/index.js';

interface RelayArgs {
  namespace: string;
  prefetch: string;
}

async function main(): Promise<void> {
  const args = new Command('ceiling-relay')
    .requiredOption('--namespace <ns>', 'namespace of the queue and exchange')
    .option('--prefetch <n>', 'unacknowledged inputs at once', '200')
    .parse(process.argv)
    .opts<RelayArgs>();
  const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const topology = topologyFor(args.namespace);
  const routingKey = topology.roomRoutingKey(DEFAULT_ROOM);
  const connection = await amqplib.connect(url, { clientProperties: { connection_name: `bench-relay ${args.namespace}` } });
  const channel = await connection.createConfirmChannel();
  await declareSharedTopology(channel, topology);
  await channel.prefetch(Number(args.prefetch));
  let seq = 0;
  let pending = 0;
  const relay = (msg: ConsumeMessage | null): void => {
    if (!msg) return;
    const input = JSON.parse(msg.content.toString('utf8')) as { id: string; from: string; room: string; text: string; clientTs: string };
    seq += 1;
    const event = {
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
    pending += 1;
    channel.publish(topology.eventsExchange, routingKey, Buffer.from(JSON.stringify(event)), { contentType: 'application/json' }, (err) => {
      pending -= 1;
      if (err) channel.nack(msg, false, true);
      else channel.ack(msg);
    });
  };
  const { consumerTag } = await channel.consume(topology.chatQueue, relay);
  process.stderr.write(`relay ready on ${topology.chatQueue}\n`);

  const stop = async (): Promise<void> => {
    await channel.cancel(consumerTag).catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (pending > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await connection.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`relay failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
