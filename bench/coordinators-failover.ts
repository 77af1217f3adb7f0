import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { chatLogFiles } from '../server/log/chat-log-repair.js';
import { mergeChatLogs } from '../server/log/merge-chat-logs.js';
import { DEFAULT_ROOM, LIMITS, type ChatEvent } from '../shared/index.js';
import { closeClients, connectClients, SteadySenders, type LoadClient, type SendRecord } from './coordinator-clients.js';
import { CoordinatorFleet, type FleetMember } from './coordinator-fleet.js';
import type { SharedStore } from './coordinators-options.js';

export interface FailoverSpec {
  amqpUrl: string;
  postgresUrl: string;
  store: SharedStore;
  partitions: number;
  clients: number;
  intervalMs: number;
  trials: number;
}

/**
 * One trial: of two coordinators, the one that logged a message last is killed with SIGKILL.
 * "Its clients" are those whose last message accepted before the kill it had logged (their
 * partition was its). Times are from the kill, on this machine's wall clock (the coordinators'
 * log stamps are on the same clock).
 */
export interface FailoverTrial {
  trial: number;
  killed: string;
  survivor: string;
  /** Clients whose partition the killed one held. */
  itsClients: number;
  /** Kill → the first message of its clients the survivor logged (server time): the first served again. */
  servedAgainMs: number;
  /** Kill → the first accept (as its client saw it) of a message sent after the kill by one of its clients. */
  firstAcceptMs: number;
  /** Kill → every one of its clients had a message sent after the kill accepted: all its partitions back. */
  allAcceptedMs: number;
  /** Its clients' messages sent before the kill and accepted after it (in its hands or its queue when it died). */
  inFlightAtKill: number;
  sent: number;
  /** Sent in this trial and never accepted, or accepted but missing from history. */
  lost: number;
  /** Stored twice in history, or shown twice by one client. */
  doubled: number;
  /** Stored, but not shown by some client (counted once per client that missed it). */
  unseen: number;
}

export interface FailoverResult {
  trials: FailoverTrial[];
  sent: number;
  accepted: number;
  stored: number;
  logged: number;
  logLinesRepeated: number;
}

const latest = (served: Map<string, number>): number => Math.max(0, ...served.values());

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`failover: gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Every living coordinator logged a message in the last two seconds. */
function allServing(fleet: CoordinatorFleet): boolean {
  const now = Date.now();
  return fleet.alive.every((member) => latest(fleet.served(member)) > now - 2000);
}

async function fullHistory(client: LoadClient): Promise<ChatEvent[]> {
  const all: ChatEvent[] = [];
  for (;;) {
    const page = await client.client.history({ room: DEFAULT_ROOM, afterSeq: all.at(-1)?.seq ?? 0, limit: LIMITS.maxHistoryPage });
    all.push(...page.messages);
    if (page.messages.length < LIMITS.maxHistoryPage) return all;
  }
}

async function killOne(fleet: CoordinatorFleet, senders: SteadySenders, trial: number): Promise<Omit<FailoverTrial, 'sent' | 'lost' | 'doubled' | 'unseen'>> {
  const [first, second] = fleet.alive as [FleetMember, FleetMember];
  const victim = latest(fleet.served(first)) >= latest(fleet.served(second)) ? first : second;
  const survivor = victim === first ? second : first;
  const servedBy = fleet.servedBy();
  const lastAccepted = new Map<number, SendRecord>();
  for (const record of senders.records) if (record.acceptedAt !== undefined) lastAccepted.set(record.client, record);
  const itsClients = new Set([...lastAccepted].filter(([, record]) => servedBy.get(record.id ?? '') === victim.name).map(([client]) => client));

  const killedAt = Date.now();
  await fleet.kill(victim);
  const newAccepts = (): Map<number, number> => {
    const firstOf = new Map<number, number>();
    for (const record of senders.records) {
      if (!itsClients.has(record.client) || record.sentAt <= killedAt || record.acceptedAt === undefined) continue;
      firstOf.set(record.client, Math.min(firstOf.get(record.client) ?? Infinity, record.acceptedAt));
    }
    return firstOf;
  };
  await until(() => newAccepts().size === itsClients.size, `the clients of ${victim.name} to be served again (trial ${trial})`, 60_000);
  const accepts = [...newAccepts().values()];
  const itsRecords = senders.records.filter((record) => itsClients.has(record.client));
  const itsIds = new Set(itsRecords.map((record) => record.id));
  const servedAgain = [...fleet.served(survivor)].filter(([id, at]) => itsIds.has(id) && at >= killedAt).map(([, at]) => at);
  return {
    trial,
    killed: victim.name,
    survivor: survivor.name,
    itsClients: itsClients.size,
    servedAgainMs: servedAgain.length > 0 ? Math.min(...servedAgain) - killedAt : -1,
    firstAcceptMs: Math.min(...accepts) - killedAt,
    allAcceptedMs: Math.max(...accepts) - killedAt,
    inFlightAtKill: itsRecords.filter((record) => record.sentAt <= killedAt && (record.acceptedAt ?? 0) > killedAt).length,
  };
}

/**
 * Two coordinators, clients sending at a steady pace; `trials` times the one that served last is
 * killed with SIGKILL and, once its clients are served again, a new one started, so that the next
 * trial has two again. At the end every message is looked for in history, in each client's view
 * and in the merged chat log.
 */
export async function runFailover(spec: FailoverSpec, progress: (line: string) => void): Promise<FailoverResult> {
  const fleet = new CoordinatorFleet({ amqpUrl: spec.amqpUrl, postgresUrl: spec.postgresUrl, store: spec.store, partitions: spec.partitions });
  let clients: LoadClient[] = [];
  try {
    await fleet.start();
    await fleet.start();
    clients = await connectClients({ amqpUrl: spec.amqpUrl, namespace: fleet.namespace, count: spec.clients, record: true });
    const senders = new SteadySenders(clients, spec.intervalMs, 'fo');
    const trials: Omit<FailoverTrial, 'sent' | 'lost' | 'doubled' | 'unseen'>[] = [];
    /** Where each trial's messages start (index into senders.records). */
    const starts: number[] = [];
    try {
      for (let trial = 1; trial <= spec.trials; trial += 1) {
        starts.push(senders.records.length);
        await until(() => allServing(fleet), `both coordinators to serve (trial ${trial}): ${fleet.alive.map((m) => m.name).join(', ')}`, 60_000);
        await sleep(1000);
        const result = await killOne(fleet, senders, trial);
        trials.push(result);
        progress(`trial ${trial}: killed ${result.killed} (${result.itsClients} clients), served again after ${result.servedAgainMs} ms, all its clients after ${result.allAcceptedMs} ms`);
        await fleet.start();
      }
      await until(() => allServing(fleet), 'the last replacement to serve', 60_000);
    } finally {
      await senders.stop();
    }
    const records = senders.records;
    const accepted = records.filter((record) => record.acceptedAt !== undefined).length;
    await until(() => clients.every((entry) => entry.shown.length >= accepted), 'every client to show every accepted message', 60_000).catch(() => undefined);
    const history = await fullHistory(clients[0] as LoadClient);
    const storedTimes = new Map<string, number>();
    for (const event of history) storedTimes.set(event.text, (storedTimes.get(event.text) ?? 0) + 1);
    const idOfText = new Map(history.map((event) => [event.text, event.id]));
    const shownTimes = clients.map((entry) => {
      const times = new Map<string, number>();
      for (const id of entry.shown) times.set(id, (times.get(id) ?? 0) + 1);
      return times;
    });
    const merged = mergeChatLogs(chatLogFiles(fleet.logDir).map((path) => readFileSync(path, 'utf8')));
    const logged = merged.lines.filter((line) => line.includes(' MESSAGE ')).length;

    const withCounts = trials.map((trial, index): FailoverTrial => {
      const own = records.slice(starts[index], starts[index + 1] ?? records.length);
      let lost = 0;
      let doubled = 0;
      let unseen = 0;
      for (const record of own) {
        const stored = storedTimes.get(record.text) ?? 0;
        if (record.acceptedAt === undefined || stored === 0) lost += 1;
        if (stored > 1) doubled += stored - 1;
        const id = idOfText.get(record.text);
        if (id === undefined) continue;
        for (const times of shownTimes) {
          const shown = times.get(id) ?? 0;
          if (shown === 0) unseen += 1;
          if (shown > 1) doubled += shown - 1;
        }
      }
      return { ...trial, sent: own.length, lost, doubled, unseen };
    });
    return { trials: withCounts, sent: records.length, accepted, stored: history.length, logged, logLinesRepeated: merged.repeated };
  } finally {
    await closeClients(clients);
    await fleet.close();
  }
}
