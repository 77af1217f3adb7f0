import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { WarrenClient } from '../client/lib/warren-client.js';
import { DEFAULT_ROOM, topologyFor } from '../shared/index.js';
import { deleteNamespace } from './namespace.js';
import { startCoordinator, startRelay, type CoordinatorChild } from './programs.js';

/** What a receiver saw: the text (which carries the benchmark's tag) and both stamps. */
export interface Delivery {
  text: string;
  clientTs: string;
  serverTs: string;
}

/**
 * Called for each receipt; `at` is when it arrived on the shared clock (`clock()`), given when
 * it was taken in another process (bench/room-members.ts), absent when it is now.
 */
export type DeliveryHandler = (to: number, delivery: Delivery, at?: number) => void;

/** Milliseconds on a clock that all processes of the machine share (the epoch plus a monotonic offset, sub-ms). */
export function clock(): number {
  return performance.timeOrigin + performance.now();
}

/** The systems measured: the per-message relay (the ceiling), the batched relay and warren. */
export const SYSTEM_LABELS = ['ceiling', 'batched', 'warren'] as const;
export type SystemLabel = (typeof SYSTEM_LABELS)[number];

/**
 * K participants that each send and receive every message of the room, and the process in the
 * middle (a relay or warren's coordinator), whose pid /proc is read for.
 */
export interface MessagingSystem {
  readonly label: SystemLabel;
  readonly participants: number;
  readonly serverPid: number;
  readonly namespace: string;
  publish(from: number, text: string): Promise<unknown>;
  setDeliveryHandler(handler: DeliveryHandler): void;
  close(): Promise<void>;
}

export interface SystemSettings {
  amqpUrl: string;
  namespace: string;
  participants: number;
  prefetch: number;
  /** TCP_NODELAY on every socket of the system (the server's and the participants'). */
  noDelay: boolean;
  /** Participants connecting at the same time (1: one after another). */
  joinConcurrency?: number;
}

const ignore = (): void => undefined;

/** A relay's message body: one event, or a batch of them (the batched relay) that the raw clients unpack. */
type RelayBody = Delivery | { type: 'batch'; items: Delivery[] };

/**
 * Members of a room without the server in the middle: they publish and hand over what they
 * receive. `first` is the index of the first (members first … first + count - 1), so that
 * several processes can hold the members of one room (bench/room-members.ts).
 */
export interface Members {
  /** The processes holding them, when not this one (for their CPU time and memory). */
  readonly pids?: number[];
  publish(from: number, text: string): Promise<unknown>;
  setDeliveryHandler(handler: DeliveryHandler): void;
  close(): Promise<void>;
}

export interface MemberSettings {
  amqpUrl: string;
  namespace: string;
  first: number;
  count: number;
  noDelay: boolean;
  joinConcurrency: number;
}

/** Raw amqplib clients, each with one connection and its own queue bound to #general; they unpack a relay's batches. */
export async function connectRawMembers(settings: MemberSettings & { label: SystemLabel }): Promise<Members> {
  const topology = topologyFor(settings.namespace);
  const connections: ChannelModel[] = [];
  const channels = new Map<number, ConfirmChannel>();
  let handler: DeliveryHandler = ignore;
  const closeAll = (): Promise<void> => closeLimited(connections, Math.max(settings.joinConcurrency, 50), (connection) => connection.close());
  try {
    await forEachLimited(settings.count, settings.joinConcurrency, async (offset) => {
      const i = settings.first + offset;
      const connection = await amqplib.connect(settings.amqpUrl, { noDelay: settings.noDelay, clientProperties: { connection_name: `bench-${settings.label} ${i}` } });
      connections.push(connection);
      const channel = await connection.createConfirmChannel();
      channels.set(i, channel);
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await channel.bindQueue(queue, topology.eventsExchange, topology.roomRoutingKey(DEFAULT_ROOM));
      await channel.consume(
        queue,
        (msg) => {
          if (!msg) return;
          const body = JSON.parse(msg.content.toString('utf8')) as RelayBody;
          if ('items' in body) for (const item of body.items) handler(i, item);
          else handler(i, body);
        },
        { noAck: true },
      );
    });
  } catch (err) {
    await closeAll();
    throw err;
  }
  const tokens = new Map([...channels.keys()].map((i) => [i, randomUUID()]));
  return {
    publish: (from, text) =>
      new Promise<void>((resolve, reject) => {
        const channel = channels.get(from);
        if (!channel) throw new Error(`no participant ${from}`);
        const body = { type: 'chat', id: randomUUID(), token: tokens.get(from), from: `c${from}`, room: DEFAULT_ROOM, text, clientTs: new Date().toISOString() };
        channel.sendToQueue(topology.chatQueue, Buffer.from(JSON.stringify(body)), { persistent: true, contentType: 'application/json' }, (err) =>
          err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
        );
      }),
    setDeliveryHandler: (next) => {
      handler = next;
    },
    close: closeAll,
  };
}

/**
 * Client-library clients in open mode, logged in as bench<i>. With `logout: false` they close
 * without logging out (K logouts are K requests and their presence traffic, which a big room need
 * not pay for at the end).
 */
export async function connectWarrenMembers(settings: MemberSettings & { requestTimeoutMs?: number; logoutOnClose?: boolean }): Promise<Members> {
  const clients = new Map<number, WarrenClient>();
  let handler: DeliveryHandler = ignore;
  const closeClients = (logout: boolean): Promise<void> =>
    closeLimited([...clients.values()], Math.max(settings.joinConcurrency, 50), (client) => client.close({ logout }));
  try {
    await forEachLimited(settings.count, settings.joinConcurrency, async (offset) => {
      const i = settings.first + offset;
      const client = new WarrenClient({
        amqpUrl: settings.amqpUrl,
        namespace: settings.namespace,
        security: { mode: 'open' },
        requestTimeoutMs: settings.requestTimeoutMs ?? 30_000,
        noDelay: settings.noDelay,
      });
      clients.set(i, client);
      await client.connect();
      await client.login(`bench${i}`);
      client.on('message', (event) => handler(i, event));
    });
  } catch (err) {
    await closeClients(false);
    throw err;
  }
  return {
    publish: (from, text) => {
      const client = clients.get(from);
      if (!client) throw new Error(`no participant ${from}`);
      return client.send(text);
    },
    setDeliveryHandler: (next) => {
      handler = next;
    },
    close: () => closeClients(settings.logoutOnClose ?? true),
  };
}

/** A server program and its members as one system; closing closes the members, then stops the server and removes the namespace. */
export function composeSystem(label: SystemLabel, server: { pid: number; stop(): Promise<unknown> }, members: Members, settings: SystemSettings): MessagingSystem {
  return {
    label,
    participants: settings.participants,
    serverPid: server.pid,
    namespace: settings.namespace,
    publish: (from, text) => members.publish(from, text),
    setDeliveryHandler: (next) => members.setDeliveryHandler(next),
    close: async () => {
      await members.close();
      await server.stop();
      await deleteNamespace(settings.amqpUrl, settings.namespace).catch(() => undefined);
    },
  };
}

const membersOf = (settings: SystemSettings): MemberSettings => ({
  amqpUrl: settings.amqpUrl,
  namespace: settings.namespace,
  first: 0,
  count: settings.participants,
  noDelay: settings.noDelay,
  joinConcurrency: settings.joinConcurrency ?? 1,
});

/** A relay program (per message: the ceiling; or batched per turn) and K raw clients. */
export async function startRelaySystem(settings: SystemSettings & { batched: boolean }): Promise<MessagingSystem> {
  const relay = await startRelay(settings);
  const label: SystemLabel = settings.batched ? 'batched' : 'ceiling';
  try {
    return composeSystem(label, relay, await connectRawMembers({ ...membersOf(settings), label }), settings);
  } catch (err) {
    await relay.stop();
    throw err;
  }
}

/** The per-message ceiling relay and its K raw clients. */
export function startCeiling(settings: SystemSettings): Promise<MessagingSystem> {
  return startRelaySystem({ ...settings, batched: false });
}

/** The batched relay and its K raw clients. */
export function startBatchedCeiling(settings: SystemSettings): Promise<MessagingSystem> {
  return startRelaySystem({ ...settings, batched: true });
}

export interface WarrenSystem extends MessagingSystem {
  coordinator: CoordinatorChild;
}

/** warren: the coordinator program and K client-library clients, logged in as bench0..bench<K-1>. */
export async function startWarren(
  settings: SystemSettings & { profileDir?: string; serverMain?: string; requestTimeoutMs?: number; logoutOnClose?: boolean },
): Promise<WarrenSystem> {
  const coordinator = await startCoordinator(settings);
  try {
    const members = await connectWarrenMembers({ ...membersOf(settings), ...settings, first: 0, count: settings.participants, joinConcurrency: settings.joinConcurrency ?? 1 });
    return { ...composeSystem('warren', { pid: coordinator.pid, stop: () => coordinator.shutdown() }, members, settings), coordinator };
  } catch (err) {
    await coordinator.shutdown();
    throw err;
  }
}

/**
 * work(0) … work(count - 1), at most `concurrency` at once; stops starting new ones after the
 * first failure and rethrows it once the started ones have settled.
 */
export async function forEachLimited(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < count && !failure) {
      const index = next++;
      try {
        await work(index);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  if (failure) throw failure.err;
}

/** Closes everything, `concurrency` at a time, ignoring failures (and holes in a partly filled array). */
async function closeLimited<T>(items: (T | undefined)[], concurrency: number, close: (item: T) => Promise<unknown>): Promise<void> {
  const present = items.filter((item): item is T => item !== undefined);
  for (let i = 0; i < present.length; i += concurrency) {
    await Promise.all(present.slice(i, i + concurrency).map((item) => close(item).catch(() => undefined)));
  }
}
