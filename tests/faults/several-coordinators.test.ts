import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { chatLogFiles } from '../../server/log/chat-log-repair.js';
import { mergeChatLogs } from '../../server/log/merge-chat-logs.js';
import { deleteSecureTopology, secureTopologyFor } from '../../shared/secure-topology.js';
import { OPEN_MODE, amqpUrl, rawChannel, uniqueNamespace } from '../support/broker.js';
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
 * Two coordinators share one store and one log folder, with the input in four partitions each
 * (single active consumer: the broker gives each partition to one of them). One is killed with
 * SIGKILL in the middle of a burst of 2,400 messages from twelve clients and not started again: the
 * other must take its partitions, and every accepted message must be there exactly once, in one
 * order, in every client's view, in history and in the merged chat log.
 */

const PARTITIONS = 4;
// Twelve clients: their ids hash over the four chat partitions, so both coordinators get traffic.
const NAMES = ['ana', 'bruno', 'chen', 'dana', 'eli', 'fay', 'gus', 'hana', 'ivo', 'jun', 'kai', 'lea'];
const PER_CLIENT = 200;
const WINDOW = 40;
const KILL_AFTER = 700;

describe('several coordinators: one killed with SIGKILL in the middle of a burst', () => {
  const namespace = uniqueNamespace('multi');
  const dir = mkdtempSync(join(tmpdir(), 'warren-multi-'));
  const logDir = join(dir, 'log');
  const env = (file: string): Record<string, string> => ({
    AMQP_URL: amqpUrl(),
    WARREN_NAMESPACE: namespace,
    WARREN_DATA_DIR: join(dir, 'data'),
    WARREN_LOG_DIR: logDir,
    WARREN_CHAT_LOG_FILE: file,
    WARREN_INPUT_PARTITIONS: String(PARTITIONS),
    ...RATE_LIMITS_OFF,
  });
  const logOf = (file: string): string[] => {
    const path = join(logDir, file);
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
  };
  const programs: Program[] = [];
  const clients: ClientRecord[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((entry) => entry.client.close()));
    for (const program of programs) await stopProgram(program);
    const raw = await rawChannel();
    await deleteSecureTopology(raw.channel, secureTopologyFor(namespace), PARTITIONS).catch(() => undefined);
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a second one takes a share while traffic flows; the first killed mid-burst, the second takes all: nothing lost, doubled or reordered', async () => {
    const first = coordinatorProgram(env('chat-first.log'));
    programs.push(first);
    await waitForServing(first);
    for (const name of NAMES) {
      const client = new WarrenClient({ amqpUrl: amqpUrl(), namespace, security: OPEN_MODE, requestTimeoutMs: 5000 });
      clients.push(record(name, client));
      await client.connect();
      await client.login(name);
    }
    const sent = new Map<string, string[]>(clients.map((entry) => [entry.name, []]));
    const outcomes: Promise<PromiseSettledResult<unknown>>[] = [];
    const send = (entry: ClientRecord): Promise<unknown> => {
      const text = `${entry.name} ${sent.get(entry.name)?.length ?? 0}`;
      sent.get(entry.name)?.push(text);
      const settled = entry.client.send(text).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
      outcomes.push(settled);
      return settled;
    };

    // Traffic at a talking pace; a second coordinator starts and must take a share without anyone noticing.
    let talking = true;
    const talk = Promise.all(
      clients.map(async (entry) => {
        while (talking) {
          void send(entry);
          await new Promise((resolve) => setTimeout(resolve, 60));
        }
      }),
    );
    await waitFor(() => loggedMessages(logOf('chat-first.log')).length >= 100, 'the first coordinator to serve the talk', 30_000);
    const second = coordinatorProgram(env('chat-second.log'));
    programs.push(second);
    await waitForServing(second);
    await waitFor(
      () => loggedMessages(logOf('chat-second.log')).length >= 50,
      () => `the second coordinator to take a share of the partitions; the first said:\n${first.stderr().slice(-3000)}\nthe second said:\n${second.stderr().slice(-2000)}`,
      60_000,
    );
    talking = false;
    await talk;
    const talked = outcomes.length;

    // Then a burst, and the first killed in the middle of it.
    const burst = async (entry: ClientRecord): Promise<void> => {
      const inFlight = new Set<Promise<unknown>>();
      for (let index = 0; index < PER_CLIENT; index += 1) {
        const settled = send(entry);
        inFlight.add(settled);
        void settled.then(() => inFlight.delete(settled));
        if (inFlight.size >= WINDOW) await Promise.race(inFlight);
      }
    };
    const loggedSoFar = (): number => loggedMessages([...logOf('chat-first.log'), ...logOf('chat-second.log')]).length;
    const loggedBeforeBurst = loggedSoFar();
    const firstBeforeBurst = loggedMessages(logOf('chat-first.log')).length;
    const secondBeforeBurst = loggedMessages(logOf('chat-second.log')).length;
    const bursts = Promise.all(clients.map(burst));
    await waitFor(() => loggedSoFar() - loggedBeforeBurst >= KILL_AFTER, 'the burst to be under way', 60_000);
    const killedAt = new Date().toISOString();
    const loggedAtKill = loggedSoFar();
    first.child.kill('SIGKILL');
    await first.exited;

    await settleWithin([bursts], 'the clients to send the whole burst', 120_000);
    const results = (await settleWithin(outcomes, 'every message to be answered', 120_000)).map((settled) =>
      settled.status === 'fulfilled' ? settled.value : ({ status: 'rejected', reason: settled.reason } as const),
    );
    const refused = results.filter((result) => result.status === 'rejected');
    const total = [...sent.values()].reduce((sum, texts) => sum + texts.length, 0);
    await waitFor(() => clients.every((entry) => entry.view.length >= total), 'every client to show every message', 90_000);

    const history = await fullHistory(clients[0]?.client as WarrenClient);
    const merged = mergeChatLogs(chatLogFiles(logDir).map((path) => readFileSync(path, 'utf8')));
    const log = loggedMessages(merged.lines);
    const servedAgain = logOf('chat-second.log').find((line) => line.includes(' MESSAGE ') && line.slice(0, 24) > killedAt)?.slice(0, 24);
    const reference = history.map((event) => event.id);
    const differences: Record<string, number> = {
      refused: refused.length,
      sentMinusAccepted: total - (results.length - refused.length),
      acceptedMinusStored: results.length - refused.length - history.length,
      storedMinusLogged: history.length - log.length,
      logLinesRepeatedAcrossCoordinators: merged.repeated,
      seqGapsInStore: history.filter((event, index) => event.seq !== index + 1).length,
      sessionsLost: clients.reduce((sum, entry) => sum + entry.sessionLost, 0),
      senderOrderBroken: senderOrderBreaks(sent, history),
      firstServedNothingBeforeTheSecond: firstBeforeBurst > 0 ? 0 : 1,
      secondTookNoShare: secondBeforeBurst > 0 ? 0 : 1,
      killedAfterTheBurstEnded: loggedAtKill < total ? 0 : 1,
    };
    addCheck(differences, 'log', compareIds(log.map((entry) => entry.id), reference));
    for (const entry of clients) addCheck(differences, entry.name, compareIds(entry.view.map((event) => event.id), reference));
    const counts = {
      sent: total,
      sentWhileTalking: talked,
      sentInTheBurst: total - talked,
      accepted: results.length - refused.length,
      stored: history.length,
      logged: log.length,
      loggedByFirstBeforeBurst: firstBeforeBurst,
      loggedBySecondBeforeBurst: secondBeforeBurst,
      loggedAtKill,
      msFromKillToFirstMessageServedBySecond: servedAgain ? Date.parse(servedAgain) - Date.parse(killedAt) : -1,
      ...delivered(clients),
    };
    for (const result of refused.slice(0, 5)) process.stdout.write(`  refused: ${String(result.status === 'rejected' ? result.reason : '')}\n`);
    expect(report('two coordinators, four partitions: one added while talking, one killed mid-burst', counts, differences)).toEqual(zeroes(differences));
    expect(total - talked).toBeGreaterThanOrEqual(2000);
    expect((await clients[1]?.client.users())?.map((user) => user.name)).toEqual(NAMES);
  }, 300_000);
});
