import { setTimeout as sleep } from 'node:timers/promises';
import { WarrenClient } from '../client/lib/warren-client.js';
import type { ChatEvent } from '../shared/index.js';

/** One load client of the several-coordinators benchmark, and the ids of the messages it showed. */
export interface LoadClient {
  name: string;
  client: WarrenClient;
  /** Message ids in the order the client showed them (only when asked to record). */
  shown: string[];
  /** The room it sends to (#general when undefined). */
  room: string | undefined;
}

/** The room client `index` sends to when the traffic is spread over `rooms` rooms (#general for one). */
export function roomOf(index: number, rooms: number): string | undefined {
  return rooms > 1 ? `load-room-${index % rooms}` : undefined;
}

export async function connectClients(options: { amqpUrl: string; namespace: string; count: number; record: boolean; rooms?: number }): Promise<LoadClient[]> {
  const rooms = options.rooms ?? 1;
  const clients: LoadClient[] = [];
  try {
    for (let i = 0; i < options.count; i += 1) {
      // Sends wait in a partition queue while its coordinator is replaced: the timeout must outlast that.
      const client = new WarrenClient({ amqpUrl: options.amqpUrl, namespace: options.namespace, security: { mode: 'open' }, requestTimeoutMs: 60_000 });
      const entry: LoadClient = { name: `load${i}`, client, shown: [], room: roomOf(i, rooms) };
      clients.push(entry);
      if (options.record) client.on('message', (event: ChatEvent) => entry.shown.push(event.id));
      await client.connect();
      await client.login(entry.name);
      // The first client of each room creates it; the others join it.
      if (entry.room !== undefined) await (i < rooms ? client.createRoom(entry.room) : client.joinRoom(entry.room));
    }
  } catch (err) {
    await closeClients(clients);
    throw err;
  }
  return clients;
}

export async function closeClients(clients: LoadClient[]): Promise<void> {
  await Promise.all(clients.map((entry) => entry.client.close().catch(() => undefined)));
}

/** What became of one message a client sent. */
export interface SendRecord {
  client: number;
  text: string;
  /** Wall clock (ms since the epoch) when send() was called, and when it resolved (accepted). */
  sentAt: number;
  acceptedAt?: number;
  id?: string;
  error?: string;
}

/**
 * Every client sends one message every `intervalMs` until `stop()`; `stop()` resolves once every
 * message sent is answered (accepted or refused). Texts are `<tag> <client> <n>`, unique per run.
 */
export class SteadySenders {
  readonly records: SendRecord[] = [];
  private running = true;
  private readonly loops: Promise<void>[];
  private readonly answers: Promise<void>[] = [];
  tag: string;

  constructor(
    private readonly clients: LoadClient[],
    intervalMs: number,
    tag: string,
  ) {
    this.tag = tag;
    this.loops = clients.map(async (_, index) => {
      // Spread the clients over the interval so the load is even, not twelve at once.
      await sleep((intervalMs * index) / clients.length);
      let n = 0;
      while (this.running) {
        this.answers.push(this.send(index, `${this.tag} ${index} ${n}`));
        n += 1;
        await sleep(intervalMs);
      }
    });
  }

  private async send(index: number, text: string): Promise<void> {
    const record: SendRecord = { client: index, text, sentAt: Date.now() };
    this.records.push(record);
    try {
      const entry = this.clients[index] as LoadClient;
      const event = await entry.client.send(text, entry.room === undefined ? {} : { room: entry.room });
      record.acceptedAt = Date.now();
      record.id = event.id;
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await Promise.all(this.answers);
  }
}

/**
 * Each client sends `perClient` messages as fast as its window of unaccepted ones allows; resolves
 * with every record once all are answered.
 */
export async function sendWindowed(clients: LoadClient[], total: number, window: number, tag: string): Promise<SendRecord[]> {
  const records: SendRecord[] = [];
  await Promise.all(
    clients.map(async (entry, index) => {
      const count = Math.floor(total / clients.length) + (index < total % clients.length ? 1 : 0);
      const inFlight = new Set<Promise<void>>();
      for (let n = 0; n < count; n += 1) {
        const record: SendRecord = { client: index, text: `${tag} ${index} ${n}`, sentAt: Date.now() };
        records.push(record);
        const answered = entry.client.send(record.text, entry.room === undefined ? {} : { room: entry.room }).then(
          (event) => {
            record.acceptedAt = Date.now();
            record.id = event.id;
          },
          (err: unknown) => {
            record.error = err instanceof Error ? err.message : String(err);
          },
        );
        inFlight.add(answered);
        void answered.then(() => inFlight.delete(answered));
        if (inFlight.size >= window) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }),
  );
  return records;
}
