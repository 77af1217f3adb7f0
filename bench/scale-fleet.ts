import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, trackChild } from './programs.js';
import type { FromScaleClients, ScaleClientSettings, ToScaleClients } from './scale-clients.js';

export const SCALE_CLIENTS_MAIN = join(ROOT, 'dist', 'bench', 'scale-clients.js');

/** What the fleet tells the scale phase as it happens. */
export interface FleetEvents {
  joined(client: number, connectMs: number, loginMs: number, at: number): void;
  failed(message: string, stalled: boolean): void;
  reached(at: number): void;
  sessionLost(): void;
}

/**
 * The scale phase's C clients spread over `processes` child processes (bench/scale-clients.ts),
 * each holding a contiguous range and joining `ceil(concurrency / processes)` at a time, so that
 * together at most about `concurrency` clients connect at once.
 */
export interface ScaleFleet {
  readonly pids: number[];
  /** Resolves once every process has joined or failed every client it started. */
  settled: Promise<void>;
  /** Every process stops starting clients (after a stall). */
  stop(): void;
  watch(text: string): void;
  send(from: number, text: string): Promise<void>;
  users(from: number): Promise<number>;
  /** Closes about `count` of the last joined clients, spread over the processes; resolves to how many were closed. */
  release(count: number): Promise<number>;
  close(): Promise<void>;
}

interface Part {
  child: ChildProcess;
  first: number;
  count: number;
  stderr: string;
}

export function startScaleFleet(settings: Omit<ScaleClientSettings, 'first' | 'count'>, clients: number, processes: number, events: FleetEvents): ScaleFleet {
  if (!existsSync(SCALE_CLIENTS_MAIN)) throw new Error(`${SCALE_CLIENTS_MAIN} is missing: run npm run build first`);
  const partCount = Math.max(1, Math.min(processes, clients));
  const per = Math.ceil(clients / partCount);
  const parts: Part[] = [];
  for (let first = 0; first < clients; first += per) {
    const child = fork(SCALE_CLIENTS_MAIN, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    trackChild(child);
    const part: Part = { child, first, count: Math.min(per, clients - first), stderr: '' };
    child.on('error', () => undefined);
    child.stderr?.on('data', (chunk: Buffer) => (part.stderr = (part.stderr + chunk.toString('utf8')).slice(-4000)));
    parts.push(part);
  }
  let nextId = 0;
  let closing = false;
  const waiting = new Map<number, (message: FromScaleClients) => void>();
  // A process that has just died may still look connected: the write fails (EPIPE) into the callback, not as an 'error' event.
  const post = (part: Part, message: ToScaleClients): void => {
    if (part.child.connected) part.child.send(message, (err) => void err);
  };
  const ownerOf = (client: number): Part => {
    const part = parts.find((p) => client >= p.first && client < p.first + p.count);
    if (!part) throw new Error(`no client ${client}`);
    return part;
  };
  const ask = (part: Part, build: (id: number) => ToScaleClients): Promise<FromScaleClients> =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      post(part, build(id));
    });
  const settled = Promise.all(
    parts.map(
      (part) =>
        new Promise<void>((resolve) => {
          part.child.on('message', (message: FromScaleClients) => {
            switch (message.type) {
              case 'joined':
                for (const [client, connectMs, loginMs, at] of message.joins) events.joined(client, connectMs, loginMs, at);
                break;
              case 'failed':
                events.failed(message.message, message.stalled);
                break;
              case 'settled':
                resolve();
                break;
              case 'reached':
                for (const at of message.at) events.reached(at);
                break;
              case 'sessionLost':
                events.sessionLost();
                break;
              case 'sent':
              case 'users': {
                const answer = waiting.get(message.id);
                waiting.delete(message.id);
                answer?.(message);
                break;
              }
              default:
                break;
            }
          });
          part.child.once('exit', (code, signal) => {
            if (!closing) events.failed(`clients process ${part.first}…${part.first + part.count - 1} exited (${code ?? signal}); stderr: ${part.stderr}`, false);
            resolve();
          });
        }),
    ),
  ).then(() => undefined);
  const concurrency = Math.max(1, Math.ceil(settings.concurrency / parts.length));
  for (const part of parts) post(part, { type: 'start', settings: { ...settings, concurrency, first: part.first, count: part.count } });

  const until = (part: Part, wanted: FromScaleClients['type'], timeoutMs: number): Promise<FromScaleClients | undefined> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const onMessage = (message: FromScaleClients): void => {
        if (message.type === wanted) done(message);
      };
      const onExit = (): void => done(undefined);
      const done = (message: FromScaleClients | undefined): void => {
        clearTimeout(timer);
        part.child.off('message', onMessage);
        part.child.off('exit', onExit);
        resolve(message);
      };
      part.child.on('message', onMessage);
      part.child.once('exit', onExit);
    });

  return {
    pids: parts.map((part) => part.child.pid ?? 0).filter((pid) => pid > 0),
    settled,
    stop: () => parts.forEach((part) => post(part, { type: 'stop' })),
    watch: (text) => parts.forEach((part) => post(part, { type: 'watch', text })),
    send: async (from, text) => {
      const answer = await ask(ownerOf(from), (id) => ({ type: 'send', id, from, text }));
      if (answer.type === 'sent' && answer.error !== null) throw new Error(answer.error);
    },
    users: async (from) => {
      const answer = await ask(ownerOf(from), (id) => ({ type: 'users', id, from }));
      if (answer.type !== 'users') return 0;
      if (answer.error !== null) throw new Error(answer.error);
      return answer.listed;
    },
    release: async (count) => {
      const each = Math.ceil(count / parts.length);
      const answers = await Promise.all(
        parts.map((part) => {
          const answer = until(part, 'released', 60_000);
          post(part, { type: 'release', count: each });
          return answer;
        }),
      );
      return answers.reduce((total, answer) => total + (answer?.type === 'released' ? answer.count : 0), 0);
    },
    close: async () => {
      closing = true;
      await Promise.all(
        parts.map(async (part) => {
          const closed = until(part, 'closed', 120_000);
          post(part, { type: 'close' });
          if (!(await closed)) part.child.kill('SIGKILL');
        }),
      );
    },
  };
}
