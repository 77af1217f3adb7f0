import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { DEFAULT_ROOM, topologyFor, unpackDelivery } from '../../shared/index.js';
import { OPEN_MODE, amqpUrl, deleteNamespace, rawChannel, uniqueNamespace } from '../support/broker.js';
import {
  addCheck,
  compareIds,
  coordinatorProgram,
  delivered,
  fullHistory,
  loggedMessages,
  record,
  report,
  senderOrderBreaks,
  settleWithin,
  stopProgram,
  waitForServing,
  zeroes,
  type ClientRecord,
} from '../support/fault-kit.js';
import { RATE_LIMITS_OFF, type Program } from '../support/programs.js';
import { waitFor } from '../support/wait.js';

/**
 * The real coordinator is killed with SIGKILL while three clients are in the middle of a burst,
 * then started again on the same store and log. Every accepted message must be there exactly
 * once, in one order, in every client's view, in history and in chat.log; nobody logs in again.
 */

const PER_CLIENT = 700;
/** Messages each client keeps unanswered at most: a burst bigger than the coordinator's prefetch. */
const WINDOW = 100;
/** Kill once this many messages are in the log, about a third of the burst. */
const KILL_AFTER = 700;

describe('coordinator killed with SIGKILL in the middle of a burst', () => {
  const namespace = uniqueNamespace('fault');
  const dir = mkdtempSync(join(tmpdir(), 'warren-fault-'));
  const env = {
    AMQP_URL: amqpUrl(),
    WARREN_NAMESPACE: namespace,
    WARREN_DATA_DIR: join(dir, 'data'),
    WARREN_LOG_DIR: join(dir, 'log'),
    // The burst is a load test, far faster than a person types.
    ...RATE_LIMITS_OFF,
  };
  const logPath = join(dir, 'log', 'chat.log');
  const logLines = (): string[] => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean) : []);
  const programs: Program[] = [];
  const clients: ClientRecord[] = [];
  let tap: Awaited<ReturnType<typeof rawChannel>> | undefined;

  afterAll(async () => {
    await Promise.all(clients.map((entry) => entry.client.close()));
    await tap?.close();
    for (const program of programs) await stopProgram(program);
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('loses nothing, doubles nothing, keeps one order and every session', async () => {
    const first = coordinatorProgram(env);
    programs.push(first);
    await waitForServing(first);
    for (const name of ['ana', 'bruno', 'chen']) {
      const client = new WarrenClient({ amqpUrl: env.AMQP_URL, namespace, security: OPEN_MODE, requestTimeoutMs: 5000 });
      clients.push(record(name, client));
      await client.connect();
      await client.login(name);
    }

    // Every copy the coordinator fans out, repeats included: a redelivery it recognised is published again.
    const topology = topologyFor(namespace);
    tap = await rawChannel();
    const fannedOut: string[] = [];
    await tap.channel.assertQueue(`${namespace}.tap`, { exclusive: true, autoDelete: true });
    await tap.channel.bindQueue(`${namespace}.tap`, topology.eventsExchange, topology.roomRoutingKey(DEFAULT_ROOM));
    await tap.channel.consume(
      `${namespace}.tap`,
      (msg) => {
        // A delivery may be a batch (protocol 2): every item counts as one copy.
        const unpacked = msg ? unpackDelivery(JSON.parse(msg.content.toString('utf8'))) : undefined;
        for (const body of unpacked?.ok ? (unpacked.items as { type?: string; id?: string }[]) : []) {
          if (body.type === 'message' && body.id) fannedOut.push(body.id);
        }
      },
      { noAck: true },
    );

    const sent = new Map<string, string[]>(clients.map((entry) => [entry.name, []]));
    const outcomes: Promise<PromiseSettledResult<unknown>>[] = [];
    const burst = async (entry: ClientRecord): Promise<void> => {
      const inFlight = new Set<Promise<unknown>>();
      for (let index = 0; index < PER_CLIENT; index += 1) {
        const text = `${entry.name} ${index}`;
        sent.get(entry.name)?.push(text);
        const settled = entry.client.send(text).then(
          (value) => ({ status: 'fulfilled', value }) as const,
          (reason: unknown) => ({ status: 'rejected', reason }) as const,
        );
        outcomes.push(settled);
        inFlight.add(settled);
        void settled.then(() => inFlight.delete(settled));
        if (inFlight.size >= WINDOW) await Promise.race(inFlight);
      }
    };
    const bursts = Promise.all(clients.map(burst));

    await waitFor(() => loggedMessages(logLines()).length >= KILL_AFTER, 'the burst to be under way', 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const loggedAtKill = loggedMessages(logLines()).length;
    const raw = await rawChannel();
    const waitingAtKill = (await raw.channel.checkQueue(topology.chatQueue)).messageCount;
    await raw.close();

    const second = coordinatorProgram(env);
    programs.push(second);
    await waitForServing(second);
    await settleWithin([bursts], 'the clients to send the whole burst');
    const results = (await settleWithin(outcomes, 'every message of the burst to be answered')).map((settled) =>
      settled.status === 'fulfilled' ? settled.value : ({ status: 'rejected', reason: settled.reason } as const),
    );
    const refused = results.filter((result) => result.status === 'rejected');
    const total = clients.length * PER_CLIENT;
    await waitFor(() => clients.every((entry) => entry.view.length >= total), 'every client to show every message', 60_000);
    await waitFor(() => new Set(fannedOut).size >= total, 'the tap to see every message', 30_000);

    const history = await fullHistory(clients[0]?.client as WarrenClient);
    const lines = logLines();
    const log = loggedMessages(lines);
    const reference = history.map((event) => event.id);
    const differences: Record<string, number> = {
      refused: refused.length,
      sentMinusAccepted: total - (results.length - refused.length),
      acceptedMinusStored: results.length - refused.length - history.length,
      storedMinusLogged: history.length - log.length,
      seqGapsInStore: history.filter((event, index) => event.seq !== index + 1).length,
      sessionsLost: clients.reduce((sum, entry) => sum + entry.sessionLost, 0),
      joinLinesMinusClients: lines.filter((line) => line.includes(' JOIN ')).length - clients.length,
      senderOrderBroken: senderOrderBreaks(sent, history),
      killedAfterTheBurstEnded: loggedAtKill < total ? 0 : 1,
    };
    addCheck(differences, 'log', compareIds(log.map((entry) => entry.id), reference));
    for (const entry of clients) addCheck(differences, entry.name, compareIds(entry.view.map((event) => event.id), reference));
    const recovered = /wrote (\d+) stored message/.exec(second.stderr());
    const counts = {
      sent: total,
      accepted: results.length - refused.length,
      stored: history.length,
      logged: log.length,
      loggedAtKill,
      waitingInQueueAtKill: waitingAtKill,
      logLinesRecoveredAtRestart: Number(recovered?.[1] ?? 0),
      fannedOut: fannedOut.length,
      redeliveriesRecognisedAndRepublished: fannedOut.length - new Set(fannedOut).size,
      ...delivered(clients),
    };
    for (const result of refused.slice(0, 5)) process.stdout.write(`  refused: ${String(result.status === 'rejected' ? result.reason : '')}\n`);
    expect(report('coordinator kill -9 mid-burst', counts, differences)).toEqual(zeroes(differences));
    expect((await clients[1]?.client.users())?.map((user) => user.name)).toEqual(['ana', 'bruno', 'chen']);
  }, 180_000);
});
