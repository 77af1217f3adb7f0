#!/usr/bin/env node
/**
 * Some of the scale phase's clients in a process of their own (bench/scale-fleet.ts forks a few),
 * so that 5,000 `WarrenClient`s are not served by one event loop and one heap. Each client is a
 * real one: its own connection, its own exclusive queue, its own login and heartbeat. Driven over
 * IPC; every time is taken here on the clock all processes share (`clock()`), a turn's worth of
 * joins or receipts in one IPC message.
 */
import { WarrenClient } from '../client/lib/warren-client.js';
import { clock } from './systems.js';

export interface ScaleClientSettings {
  amqpUrl: string;
  namespace: string;
  /** Clients first … first + count - 1, logged in as u<i>. */
  first: number;
  count: number;
  concurrency: number;
  /** A client neither joined nor failed after this long stops this process's joining. */
  stallMs: number;
  noDelay: boolean;
  /** AMQP heartbeat of each client's connection, in seconds (the client's default when absent). */
  amqpHeartbeatSeconds?: number;
}

export type ToScaleClients =
  | { type: 'start'; settings: ScaleClientSettings }
  /** Stop starting clients (another process stalled). */
  | { type: 'stop' }
  /** Report the receipt of a message with this text (on the shared clock). */
  | { type: 'watch'; text: string }
  | { type: 'send'; id: number; from: number; text: string }
  | { type: 'users'; id: number; from: number }
  /** Close this many of the last joined clients (a broker at its socket limit serves its other users again). */
  | { type: 'release'; count: number }
  | { type: 'close' };

export type FromScaleClients =
  /** [client, connectMs, loginMs, joinedAt] per join. */
  | { type: 'joined'; joins: [number, number, number, number][] }
  | { type: 'failed'; client: number; message: string; stalled: boolean }
  /** Every client this process started has joined or failed. */
  | { type: 'settled' }
  | { type: 'reached'; at: number[] }
  | { type: 'sent'; id: number; error: string | null }
  | { type: 'users'; id: number; listed: number; error: string | null }
  | { type: 'sessionLost' }
  | { type: 'released'; count: number }
  | { type: 'closed' };

const CLOSE_TIMEOUT_MS = 5000;

const post = (message: FromScaleClients): void => void process.send?.(message);
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const clients = new Map<number, WarrenClient>();
const joinedOrder: number[] = [];
let stopped = false;
let watched: string | undefined;
let joins: [number, number, number, number][] = [];
let reached: number[] = [];

function flushJoins(): void {
  const batch = joins;
  joins = [];
  post({ type: 'joined', joins: batch });
}

function flushReached(): void {
  const batch = reached;
  reached = [];
  post({ type: 'reached', at: batch });
}

async function join(settings: ScaleClientSettings, i: number): Promise<void> {
  const client = new WarrenClient({ amqpUrl: settings.amqpUrl, namespace: settings.namespace, security: { mode: 'open' }, requestTimeoutMs: 60_000, noDelay: settings.noDelay, ...(settings.amqpHeartbeatSeconds === undefined ? {} : { heartbeatSeconds: settings.amqpHeartbeatSeconds }) });
  clients.set(i, client);
  client.on('sessionLost', () => post({ type: 'sessionLost' }));
  client.on('message', (event) => {
    if (watched === undefined || event.text !== watched) return;
    if (reached.length === 0) setImmediate(flushReached);
    reached.push(clock());
  });
  const began = clock();
  let connected = 0;
  let stalled = false;
  try {
    await withTimeout(
      client.connect().then(() => {
        connected = clock();
        return client.login(`u${i}`);
      }),
      settings.stallMs,
      () => (stalled = true),
    );
  } catch (err) {
    stopped = true;
    post({ type: 'failed', client: i, message: `client ${i}: ${errorText(err)}`, stalled });
    return;
  }
  const at = clock();
  joinedOrder.push(i);
  if (joins.length === 0) setImmediate(flushJoins);
  joins.push([i, connected - began, at - connected, at]);
}

async function start(settings: ScaleClientSettings): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < settings.count && !stopped) await join(settings, settings.first + next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(settings.concurrency, settings.count)) }, worker));
  setImmediate(() => post({ type: 'settled' }));
}

/** Closes without logging out (thousands of logouts are thousands of requests and their presence traffic), a batch at a time. */
async function closeSome(ids: number[], concurrency = 50): Promise<void> {
  for (let k = 0; k < ids.length; k += concurrency) {
    await Promise.all(
      ids.slice(k, k + concurrency).map((i) => {
        const client = clients.get(i);
        clients.delete(i);
        return client ? withTimeout(client.close({ logout: false }), CLOSE_TIMEOUT_MS, () => undefined).catch(() => undefined) : undefined;
      }),
    );
  }
}

/** The work may still fail after the timeout won: that late rejection is handled here, not left to crash the process. */
function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`not done within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

process.on('message', (message: ToScaleClients) => {
  switch (message.type) {
    case 'start':
      void start(message.settings);
      break;
    case 'stop':
      stopped = true;
      break;
    case 'watch':
      watched = message.text;
      break;
    case 'send': {
      const client = clients.get(message.from);
      (client ? client.send(message.text) : Promise.reject(new Error(`no client ${message.from} here`))).then(
        () => post({ type: 'sent', id: message.id, error: null }),
        (err: unknown) => post({ type: 'sent', id: message.id, error: errorText(err) }),
      );
      break;
    }
    case 'users': {
      const client = clients.get(message.from);
      (client ? client.users() : Promise.reject(new Error(`no client ${message.from} here`))).then(
        (users) => post({ type: 'users', id: message.id, listed: users.length, error: null }),
        (err: unknown) => post({ type: 'users', id: message.id, listed: 0, error: errorText(err) }),
      );
      break;
    }
    case 'release': {
      const last = joinedOrder.splice(Math.max(0, joinedOrder.length - message.count));
      // Clients still in their handshake (a stalled join) are closed without waiting: amqp-connection-manager waits for the handshake.
      const waiting = [...clients.keys()].filter((i) => !joinedOrder.includes(i) && !last.includes(i));
      for (const i of waiting) void clients.get(i)?.close({ logout: false }).catch(() => undefined);
      void closeSome(last).then(() => post({ type: 'released', count: last.length }));
      break;
    }
    case 'close':
      void closeSome([...clients.keys()]).finally(() => {
        post({ type: 'closed' });
        process.disconnect();
      });
      break;
  }
});
// The parent went away (killed): nothing left to do here.
process.on('disconnect', () => setTimeout(() => process.exit(0), 100).unref());
