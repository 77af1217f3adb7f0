#!/usr/bin/env node
/**
 * The batched ceiling: bench/ceiling-relay.ts with warren's batching and nothing else of warren.
 * Everything it consumed in one turn of the event loop (flushed by setImmediate, like the
 * coordinator's group commit) goes out as ONE message per routing key,
 * `{"type":"batch","items":[<event>, ...]}` in order, published with a confirm; each input is
 * acked once the confirm of its batch arrives (nacked for redelivery if the broker refuses it).
 * Set beside warren, it tells how much of warren's figures is batching and how much its own work.
 */
import type { ConsumeMessage } from 'amqplib';
import { DEFAULT_ROOM } from '../shared/index.js';
import { failed, openRelay, relayEvent, stopOnSignal, type RelayInput } from './relay-parts.js';

async function main(): Promise<void> {
  const relay = await openRelay('batched-relay');
  const { topology, channel } = relay;
  let seq = 0;
  let pending = 0;
  /** Per routing key, the events of this turn and the inputs they came from. */
  let turn = new Map<string, { events: unknown[]; inputs: ConsumeMessage[] }>();
  let flushQueued = false;

  const flush = (): void => {
    flushQueued = false;
    const batches = turn;
    turn = new Map();
    for (const [routingKey, batch] of batches) {
      pending += 1;
      const body = Buffer.from(JSON.stringify({ type: 'batch', items: batch.events }));
      channel.publish(topology.eventsExchange, routingKey, body, { contentType: 'application/json' }, (err) => {
        pending -= 1;
        for (const msg of batch.inputs) {
          if (err) channel.nack(msg, false, true);
          else channel.ack(msg);
        }
      });
    }
  };
  const onInput = (msg: ConsumeMessage | null): void => {
    if (!msg) return;
    const input = JSON.parse(msg.content.toString('utf8')) as RelayInput;
    seq += 1;
    // The same routing as the per-message relay: every input of the benchmark is for #general.
    const routingKey = topology.roomRoutingKey(DEFAULT_ROOM);
    let batch = turn.get(routingKey);
    if (!batch) {
      batch = { events: [], inputs: [] };
      turn.set(routingKey, batch);
    }
    batch.events.push(relayEvent(input, seq));
    batch.inputs.push(msg);
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flush);
    }
  };
  const { consumerTag } = await channel.consume(topology.chatQueue, onInput);
  process.stderr.write(`relay ready on ${topology.chatQueue}\n`);
  stopOnSignal(relay, consumerTag, () => pending + (flushQueued ? 1 : 0));
}

main().catch(failed);
