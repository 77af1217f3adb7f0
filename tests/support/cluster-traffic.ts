import { WarrenClient } from '../../client/lib/warren-client.js';
import type { WarrenClientOptions } from '../../client/lib/api-types.js';
import { DEFAULT_ROOM, type ChatEvent } from '../../shared/index.js';
import { OPEN_MODE } from './broker.js';
import { addCheck, compareIds, fullHistory, loggedMessages, record, senderOrderBreaks, settleWithin, type ClientRecord } from './fault-kit.js';
import { waitFor } from './wait.js';

/**
 * Traffic for the cluster fault tests (tests/cluster/): several clients, each starting on another
 * node of the cluster, sending in two rooms, and the counts that say whether anything confirmed
 * was lost, doubled or reordered, per sender and per room.
 */

export const ROOMS = [DEFAULT_ROOM, 'ops'] as const;

export interface Sender extends ClientRecord {
  /** Texts sent, per room, in sending order. */
  sent: Map<string, string[]>;
  /** Each time it connected, when (performance.now()) and to which node (its URL, password hidden). */
  connects: { atMs: number; broker: string }[];
}

/**
 * Clients named `names`, client i given the URL list `urlsFor(i)` and starting at its first node
 * (`listed`: placed by the test, not spread at random); logged in, every one in both rooms. Open
 * mode unless `security` says otherwise.
 */
export async function joinClients(
  names: readonly string[],
  namespace: string,
  urlsFor: (index: number) => string,
  security: WarrenClientOptions['security'] = OPEN_MODE,
): Promise<Sender[]> {
  const senders: Sender[] = [];
  for (const [index, name] of names.entries()) {
    const client = new WarrenClient({ amqpUrl: urlsFor(index), nodeOrder: 'listed', namespace, security, requestTimeoutMs: 20_000, reconnectBackoff: { initialMs: 100, maxMs: 2000 } });
    const entry: Sender = { ...record(name, client), sent: new Map(ROOMS.map((room) => [room, []])), connects: [] };
    client.on('status', (status) => {
      if (status.state === 'connected') entry.connects.push({ atMs: performance.now(), broker: status.broker });
    });
    senders.push(entry);
    await client.connect();
    await client.login(name);
    if (index === 0) await client.createRoom('ops');
    else await client.joinRoom('ops');
  }
  return senders;
}

export type Outcome = { ok: true; event: ChatEvent } | { ok: false; reason: unknown };

/**
 * Each sender sends `perClient` lines, alternating the rooms, keeping at most `window` unanswered;
 * `keepGoing` (when given) lets it go on past `perClient` until it returns false.
 */
export async function burst(senders: Sender[], perClient: number, window: number, outcomes: Promise<Outcome>[], keepGoing?: () => boolean): Promise<void> {
  await Promise.all(
    senders.map(async (entry) => {
      const inFlight = new Set<Promise<Outcome>>();
      for (let index = 0; index < perClient || keepGoing?.(); index += 1) {
        const room = ROOMS[index % ROOMS.length] ?? DEFAULT_ROOM;
        const text = `${entry.name} ${index}`;
        entry.sent.get(room)?.push(text);
        const settled = entry.client.send(text, { room }).then(
          (event): Outcome => ({ ok: true, event }),
          (reason: unknown): Outcome => ({ ok: false, reason }),
        );
        outcomes.push(settled);
        inFlight.add(settled);
        void settled.then(() => inFlight.delete(settled));
        if (inFlight.size >= window) await Promise.race(inFlight);
      }
    }),
  );
}

/**
 * Waits for every answer and every client to show every stored message, then compares: each
 * client's view of each room, the store's history, chat.log, each sender's order. Returns the
 * counts to print and the differences that must all be zero. `explain`: what to add to an error
 * (cluster-stage.ts `explain`: the clients' link timelines and the coordinator's last lines).
 */
export async function tally(
  senders: Sender[],
  outcomes: Promise<Outcome>[],
  logLines: () => string[],
  explain?: () => string,
): Promise<{ counts: Record<string, number>; differences: Record<string, number> }> {
  try {
    return await tallyCounts(senders, outcomes, logLines);
  } catch (err) {
    // A refusal or a wait that ran out says little by itself: say what led to it.
    if (explain) throw new Error(`${err instanceof Error ? err.message : String(err)}\n${explain()}`, { cause: err });
    throw err;
  }
}

async function tallyCounts(senders: Sender[], outcomes: Promise<Outcome>[], logLines: () => string[]): Promise<{ counts: Record<string, number>; differences: Record<string, number> }> {
  const results = (await settleWithin(outcomes, 'every message to be answered', 120_000)).map((settled) =>
    settled.status === 'fulfilled' ? settled.value : ({ ok: false, reason: settled.reason } as const),
  );
  const refused = results.filter((result) => !result.ok);
  for (const result of refused.slice(0, 5)) if (!result.ok) process.stdout.write(`  refused: ${String(result.reason)}\n`);
  process.stdout.write(`[cluster] every message answered (${refused.length} refused)\n`);
  const reader = senders[0]?.client as WarrenClient;
  const histories = new Map<string, ChatEvent[]>();
  for (const room of ROOMS) histories.set(room, await fullHistory(reader, room));
  const stored = [...histories.values()].reduce((sum, events) => sum + events.length, 0);
  const sent = results.length;
  for (const room of ROOMS) {
    const total = histories.get(room)?.length ?? 0;
    await waitFor(() => senders.every((entry) => entry.view.filter((event) => event.room === room).length >= total), `every client to show every message of ${room}`, 60_000);
  }
  process.stdout.write(`[cluster] histories read, every client shows them\n`);
  const log = loggedMessages(logLines());
  const differences: Record<string, number> = {
    refused: refused.length,
    acceptedMinusStored: sent - refused.length - stored,
    storedMinusLogged: stored - log.length,
    sessionsLost: senders.reduce((sum, entry) => sum + entry.sessionLost, 0),
  };
  const counts: Record<string, number> = { sent, accepted: sent - refused.length, stored, logged: log.length };
  for (const room of ROOMS) {
    const history = histories.get(room) ?? [];
    const reference = history.map((event) => event.id);
    counts[`stored.${room}`] = history.length;
    differences[`${room}.seqGaps`] = history.filter((event, index) => event.seq !== index + 1).length;
    differences[`${room}.senderOrderBroken`] = senderOrderBreaks(new Map(senders.map((entry) => [entry.name, entry.sent.get(room) ?? []])), history);
    addCheck(differences, `${room}.log`, compareIds(log.filter((entry) => entry.room === room).map((entry) => entry.id), reference));
    for (const entry of senders) addCheck(differences, `${room}.${entry.name}`, compareIds(entry.view.filter((event) => event.room === room).map((event) => event.id), reference));
  }
  // Per sender: every line it sent stored exactly once (a doubled input would be stored twice).
  for (const entry of senders) {
    const mine = [...histories.values()].flat().filter((event) => event.from === entry.name).map((event) => event.text);
    const storedTexts = new Set(mine);
    differences[`${entry.name}.lost`] = [...entry.sent.values()].flat().filter((text) => !storedTexts.has(text)).length;
    differences[`${entry.name}.doubled`] = mine.length - new Set(mine).size;
  }
  for (const entry of senders) counts[`statuses.${entry.name}.reconnects`] = entry.statuses.filter((state) => state === 'connected').length - 1;
  return { counts, differences };
}
