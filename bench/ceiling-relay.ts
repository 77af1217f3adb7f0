#!/usr/bin/env node
/**
 * The ceiling: the least a relay in warren's shape can do with raw amqplib. It consumes the
 * namespace's chat queue (the same quorum queue warren declares), stamps each message with a
 * sequence number and the server time, publishes it to the topic exchange with a confirm, and
 * acks the input once confirmed. No validation, no store, no log: what is left is the broker
 * and the client library. One message in, one message out (bench/batched-relay.ts batches).
 */
import type { ConsumeMessage } from 'amqplib';
import { DEFAULT_ROOM } from '../shared/index.js';
import { failed, openRelay, relayEvent, stopOnSignal, type RelayInput } from './relay-parts.js';

async function main(): Promise<void> {
  const relay = await openRelay('relay');
  const { topology, channel } = relay;
  const routingKey = topology.roomRoutingKey(DEFAULT_ROOM);
  let seq = 0;
  let pending = 0;
  const onInput = (msg: ConsumeMessage | null): void => {
    if (!msg) return;
    const input = JSON.parse(msg.content.toString('utf8')) as RelayInput;
    seq += 1;
    const event = relayEvent(input, seq);
    pending += 1;
    channel.publish(topology.eventsExchange, routingKey, Buffer.from(JSON.stringify(event)), { contentType: 'application/json' }, (err) => {
      pending -= 1;
      if (err) channel.nack(msg, false, true);
      else channel.ack(msg);
    });
  };
  const { consumerTag } = await channel.consume(topology.chatQueue, onInput);
  process.stderr.write(`relay ready on ${topology.chatQueue}\n`);
  stopOnSignal(relay, consumerTag, () => pending);
}

main().catch(failed);
