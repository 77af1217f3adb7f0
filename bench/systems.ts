import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { WarrenClient } from '../client/lib/warren-client.js';
import { DEFAULT_ROOM, topologyFor } from '../shared/index.js';
import { deleteNamespace } from './namespace.js';
import { startCoordinator, startRelay, type ChildProgram, type CoordinatorChild } from './programs.js';

/** What a receiver saw: the text (which carries the benchmark's tag) and both stamps. */
export interface Delivery {
  text: string;
  clientTs: string;
  serverTs: string;
}

/**
 * K participants that each send and receive every message of the room, and the process in the
 * middle (the ceiling's relay or warren's coordinator), whose pid /proc is read for.
 */
export interface MessagingSystem {
  readonly label: 'ceiling' | 'warren';
  readonly participants: number;
  readonly serverPid: number;
  readonly namespace: string;
  publish(from: number, text: string): Promise<unknown>;
  setDeliveryHandler(handler: (to: number, delivery: Delivery) => void): void;
  close(): Promise<void>;
}

interface Settings {
  amqpUrl: string;
  namespace: string;
  participants: number;
  prefetch: number;
}

const ignore = (): void => undefined;

/** The ceiling: the raw relay program and K raw amqplib clients, each with one connection and its own queue. */
export async function startCeiling(settings: Settings): Promise<MessagingSystem> {
  const topology = topologyFor(settings.namespace);
  const relay: ChildProgram = await startRelay(settings);
  const connections: ChannelModel[] = [];
  const channels: ConfirmChannel[] = [];
  let handler: (to: number, delivery: Delivery) => void = ignore;
  try {
    for (let i = 0; i < settings.participants; i += 1) {
      const connection = await amqplib.connect(settings.amqpUrl, { clientProperties: { connection_name: `bench-ceiling ${i}` } });
      connections.push(connection);
      const channel = await connection.createConfirmChannel();
      channels.push(channel);
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await channel.bindQueue(queue, topology.eventsExchange, topology.roomRoutingKey(DEFAULT_ROOM));
      await channel.consume(
        queue,
        (msg) => {
          if (!msg) return;
          const event = JSON.parse(msg.content.toString('utf8')) as Delivery;
          handler(i, event);
        },
        { noAck: true },
      );
    }
  } catch (err) {
    await Promise.all(connections.map((connection) => connection.close().catch(() => undefined)));
    await relay.stop();
    throw err;
  }
  const tokens = channels.map(() => randomUUID());
  return {
    label: 'ceiling',
    participants: settings.participants,
    serverPid: relay.pid,
    namespace: settings.namespace,
    publish: (from, text) =>
      new Promise<void>((resolve, reject) => {
        const channel = channels[from];
        if (!channel) throw new Error(`no participant ${from}`);
        const body = { type: 'chat', id: randomUUID(), token: tokens[from], from: `c${from}`, room: DEFAULT_ROOM, text, clientTs: new Date().toISOString() };
        channel.sendToQueue(topology.chatQueue, Buffer.from(JSON.stringify(body)), { persistent: true, contentType: 'application/json' }, (err) =>
          err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
        );
      }),
    setDeliveryHandler: (next) => {
      handler = next;
    },
    close: async () => {
      await Promise.all(connections.map((connection) => connection.close().catch(() => undefined)));
      await relay.stop();
      await deleteNamespace(settings.amqpUrl, settings.namespace).catch(() => undefined);
    },
  };
}

export interface WarrenSystem extends MessagingSystem {
  coordinator: CoordinatorChild;
}

/** warren: the coordinator program and K client-library clients, logged in as bench0..bench<K-1>. */
export async function startWarren(settings: Settings & { profileDir?: string; serverMain?: string; requestTimeoutMs?: number }): Promise<WarrenSystem> {
  const coordinator = await startCoordinator(settings);
  const clients: WarrenClient[] = [];
  let handler: (to: number, delivery: Delivery) => void = ignore;
  try {
    for (let i = 0; i < settings.participants; i += 1) {
      const client = new WarrenClient({ amqpUrl: settings.amqpUrl, namespace: settings.namespace, security: { mode: 'open' }, requestTimeoutMs: settings.requestTimeoutMs ?? 30_000 });
      clients.push(client);
      await client.connect();
      await client.login(`bench${i}`);
      client.on('message', (event) => handler(i, event));
    }
  } catch (err) {
    await Promise.all(clients.map((client) => client.close({ logout: false })));
    await coordinator.shutdown();
    throw err;
  }
  return {
    label: 'warren',
    participants: settings.participants,
    serverPid: coordinator.pid,
    namespace: settings.namespace,
    coordinator,
    publish: (from, text) => {
      const client = clients[from];
      if (!client) throw new Error(`no participant ${from}`);
      return client.send(text);
    },
    setDeliveryHandler: (next) => {
      handler = next;
    },
    close: async () => {
      await Promise.all(clients.map((client) => client.close()));
      await coordinator.shutdown();
      await deleteNamespace(settings.amqpUrl, settings.namespace).catch(() => undefined);
    },
  };
}
