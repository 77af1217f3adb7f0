import { existsSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { DEFAULT_ROOM, LIMITS, type ChatEvent, type ConnectionStatus } from '../../shared/index.js';
import type { WarrenClient } from '../../client/lib/warren-client.js';
import { SERVER_MAIN, runProgram, type Program } from './programs.js';
import { waitFor } from './wait.js';

/**
 * What the fault scenarios share: recording what each client showed, reading history and the chat
 * log back, comparing them, and printing the counts each scenario checked.
 */

/** Everything a client emitted, in the order it showed it. */
export interface ClientRecord {
  name: string;
  client: WarrenClient;
  view: ChatEvent[];
  statuses: ConnectionStatus['state'][];
  sessionLost: number;
  /** What happened to its link and session, with the time (seconds since it was recorded): for a failure's report. */
  timeline: string[];
}

export function record(name: string, client: WarrenClient): ClientRecord {
  const entry: ClientRecord = { name, client, view: [], statuses: [], sessionLost: 0, timeline: [] };
  const started = performance.now();
  const note = (what: string): void => {
    entry.timeline.push(`${((performance.now() - started) / 1000).toFixed(2)}s ${what}`);
  };
  client.on('message', (event) => entry.view.push(event));
  client.on('status', (status) => {
    entry.statuses.push(status.state);
    note(describeStatus(status));
  });
  client.on('link', (notice) => note(`link ${notice.state}: ${notice.what}`));
  client.on('sessionLost', (error) => {
    entry.sessionLost += 1;
    note(`session lost: ${error.message}`);
  });
  return entry;
}

function describeStatus(status: ConnectionStatus): string {
  switch (status.state) {
    case 'connected':
      return `connected to ${status.broker}`;
    case 'disconnected':
      return `disconnected: ${status.reason}`;
    case 'reconnecting':
      return `reconnecting (attempt ${status.attempt}, in ${status.delayMs} ms): ${status.reason}`;
    case 'failed':
      return `failed: ${status.error.message}`;
    default:
      return status.state;
  }
}

/** Every client's timeline, for the report of a failed fault test. */
export function timelines(records: readonly ClientRecord[]): string {
  return records.map((entry) => `  ${entry.name}:\n${entry.timeline.map((line) => `    ${line}`).join('\n')}`).join('\n');
}

/** The whole history of a room, page by page, as the coordinator's store has it. */
export async function fullHistory(client: WarrenClient, room = DEFAULT_ROOM): Promise<ChatEvent[]> {
  const all: ChatEvent[] = [];
  for (;;) {
    const page = await client.history({ room, afterSeq: all.at(-1)?.seq ?? 0, limit: LIMITS.maxHistoryPage });
    all.push(...page.messages);
    if (page.messages.length < LIMITS.maxHistoryPage) return all;
  }
}

export interface LoggedMessage {
  room: string;
  seq: number;
  id: string;
}

/** The MESSAGE lines of chat.log, in file order. */
export function loggedMessages(lines: string[]): LoggedMessage[] {
  const out: LoggedMessage[] = [];
  for (const line of lines) {
    const match = / MESSAGE room=(\S+) seq=(\d+) .*? id=(\S+) /.exec(line);
    if (match) out.push({ room: match[1] ?? '', seq: Number(match[2]), id: match[3] ?? '' });
  }
  return out;
}

export interface SequenceCheck {
  /** In the reference, absent here. */
  missing: number;
  /** Here, absent from the reference. */
  extra: number;
  /** Shown more than once. */
  duplicates: number;
  /** Positions where the order differs from the reference (after removing missing and extra). */
  outOfOrder: number;
}

/** Compares a list of message ids with the reference order. */
export function compareIds(ids: string[], reference: string[]): SequenceCheck {
  const wanted = new Set(reference);
  const seen = new Set<string>();
  let duplicates = 0;
  let extra = 0;
  for (const id of ids) {
    if (seen.has(id)) duplicates += 1;
    seen.add(id);
    if (!wanted.has(id)) extra += 1;
  }
  const missing = reference.filter((id) => !seen.has(id)).length;
  const common = [...new Set(ids)].filter((id) => wanted.has(id));
  const referenceCommon = reference.filter((id) => seen.has(id));
  const outOfOrder = common.filter((id, index) => referenceCommon[index] !== id).length;
  return { missing, extra, duplicates, outOfOrder };
}

/**
 * Prints what a scenario checked, as `counts` and `differences`, and returns the differences
 * (each must be zero; the caller asserts `toEqual(zeroes(differences))`).
 */
export function report(scenario: string, counts: Record<string, number>, differences: Record<string, number>): Record<string, number> {
  const format = (values: Record<string, number>): string =>
    Object.entries(values)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
  process.stdout.write(`\n[fault] ${scenario}\n  counts:      ${format(counts)}\n  differences: ${format(differences)}\n`);
  return differences;
}

export function zeroes(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(values).map((key) => [key, 0]));
}

/** `Promise.allSettled`, but failing with a count of what is still unsettled after `timeoutMs`. */
export async function settleWithin<T>(promises: Promise<T>[], what: string, timeoutMs = 60_000): Promise<PromiseSettledResult<T>[]> {
  let settled = 0;
  const all = Promise.allSettled(promises.map((promise) => promise.finally(() => (settled += 1))));
  await waitFor(() => settled === promises.length, () => `${what}: ${promises.length - settled} of ${promises.length} still unsettled`, timeoutMs);
  return all;
}

/** How many messages each client showed, as report counts. */
export function delivered(clients: ClientRecord[]): Record<string, number> {
  return Object.fromEntries(clients.map((entry) => [`delivered.${entry.name}`, entry.view.length]));
}

/** Messages of one sender that were stored in another order than it sent them. */
export function senderOrderBreaks(sent: Map<string, string[]>, history: { text: string; seq: number }[]): number {
  const seqOf = new Map(history.map((event) => [event.text, event.seq]));
  let breaks = 0;
  for (const texts of sent.values()) {
    let last = -1;
    for (const text of texts) {
      const seq = seqOf.get(text);
      if (seq === undefined) continue;
      if (seq <= last) breaks += 1;
      last = seq;
    }
  }
  return breaks;
}

/** Adds each check of `compareIds` to `differences`, prefixed. */
export function addCheck(differences: Record<string, number>, prefix: string, check: SequenceCheck): void {
  for (const [key, value] of Object.entries(check)) differences[`${prefix}.${key}`] = value;
}

/**
 * A TCP relay between one client and the broker that the test can cut: `pause` drops every
 * connection through it and refuses new ones until `resume`, so a client stays away exactly as
 * long as the test wants, without a sleep.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private paused = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const created: { proxy?: TcpProxy } = {};
    const server = createServer((socket) => created.proxy?.relay(socket, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('proxy has no port');
    created.proxy = new TcpProxy(server, address.port);
    return created.proxy;
  }

  /** Refuses new connections; with `dropOpen`, also cuts the open ones (a network drop). */
  pause(options: { dropOpen: boolean }): void {
    this.paused = true;
    if (options.dropOpen) for (const socket of this.sockets) socket.destroy();
  }

  resume(): void {
    this.paused = false;
  }

  async close(): Promise<void> {
    this.pause({ dropOpen: true });
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(socket: Socket, targetPort: number): void {
    if (this.paused) {
      socket.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const end of [socket, upstream]) {
      this.sockets.add(end);
      end.on('error', () => undefined);
      end.on('close', () => {
        this.sockets.delete(end);
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream);
    upstream.pipe(socket);
  }
}

/** The real coordinator program (`npm run build` makes it); does not wait for it to serve. */
export function coordinatorProgram(env: Record<string, string>): Program {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  return runProgram(SERVER_MAIN, [], env);
}

export async function waitForServing(program: Program, since = 0, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    () => program.stderr().indexOf('coordinator ready', since) >= 0 || program.child.exitCode !== null,
    () => `the coordinator to serve; its output:\n${program.stderr()}`,
    timeoutMs,
  );
  if (program.child.exitCode !== null) throw new Error(`the coordinator exited (${program.child.exitCode}):\n${program.stderr()}`);
}

/** SIGTERM, and SIGKILL if it has not exited within `graceMs`. Safe on a process already gone. */
export async function stopProgram(program: Program, graceMs = 10_000): Promise<void> {
  if (program.child.exitCode !== null || program.child.signalCode !== null) return;
  program.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      program.child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([program.exited, killed]);
  clearTimeout(timer);
  await program.exited;
}
