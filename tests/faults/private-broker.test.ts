import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, isWarrenError, type PresenceEvent } from '../../shared/index.js';
import { OPEN_MODE, uniqueNamespace } from '../support/broker.js';
import {
  TcpProxy,
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
import { PrivateBroker } from '../support/private-broker.js';
import type { Program } from '../support/programs.js';
import { waitFor } from '../support/wait.js';

/**
 * Faults of the broker itself, on a RabbitMQ node this file starts on its own ports: nothing
 * there at first, a restart in the middle of a conversation, one client's connection closed by
 * the broker, and a client away for longer than its session lives.
 */

const SESSION_TIMEOUT_S = 4;
// Without rabbitmq-server (a laptop with only Docker) these are skipped, loudly, unless
// WARREN_REQUIRE_PRIVATE_BROKER=1 says this machine must run them.
const runnable = PrivateBroker.available() || process.env.WARREN_REQUIRE_PRIVATE_BROKER === '1';
if (!runnable) process.stdout.write('\n[fault] SKIPPED: rabbitmq-server/rabbitmqctl not found; the private-broker scenarios need them\n');

(runnable ? describe : describe.skip)('faults on a private RabbitMQ node', () => {
  const namespace = uniqueNamespace('fault');
  const dir = mkdtempSync(join(tmpdir(), 'warren-fault-'));
  const logPath = join(dir, 'log', 'chat.log');
  let broker: PrivateBroker;
  let proxy: TcpProxy;
  let coordinator: Program | undefined;
  const clients: ClientRecord[] = [];
  const presence: PresenceEvent[] = [];

  const logLines = (): string[] => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean) : []);
  const byName = (name: string): ClientRecord => {
    const found = clients.find((entry) => entry.name === name);
    if (!found) throw new Error(`no client ${name}`);
    return found;
  };

  beforeAll(async () => {
    broker = await PrivateBroker.create();
    // chen reaches the broker through a relay the test can cut, to keep it away for as long as needed.
    proxy = await TcpProxy.start(broker.port);
  });

  afterAll(async () => {
    await Promise.all(clients.map((entry) => entry.client.close({ logout: false })));
    if (coordinator) await stopProgram(coordinator);
    await proxy?.close();
    await broker?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('coordinator and clients wait for a broker that is not there yet, say so, and start when it comes', async () => {
    coordinator = coordinatorProgram({
      AMQP_URL: broker.url,
      WARREN_NAMESPACE: namespace,
      WARREN_DATA_DIR: join(dir, 'data'),
      WARREN_LOG_DIR: join(dir, 'log'),
      WARREN_SESSION_TIMEOUT: String(SESSION_TIMEOUT_S),
    });
    const server = coordinator;
    for (const name of ['ana', 'bruno', 'chen']) {
      const url = name === 'chen' ? `amqp://guest:guest@127.0.0.1:${proxy.port}` : broker.url;
      const client = new WarrenClient({ amqpUrl: url, namespace, security: OPEN_MODE, requestTimeoutMs: 5000, reconnectBackoff: { initialMs: 100, maxMs: 1000 } });
      clients.push(record(name, client));
    }
    await waitFor(() => /unavailable .*retrying/.test(server.stderr()), () => `the coordinator to say it waits:\n${server.stderr()}`);
    await waitFor(() => clients.every((entry) => entry.statuses.includes('reconnecting')), 'every client to report reconnecting');

    await broker.start();
    await waitForServing(server);
    await Promise.all(clients.map((entry) => entry.client.connect()));
    for (const entry of clients) await entry.client.login(entry.name);
    byName('ana').client.on('presence', (event) => presence.push(event));

    const waitingLines = server.stderr().split('\n').filter((line) => /unavailable .*retrying/.test(line)).length;
    const differences = report(
      'broker unreachable at start',
      { coordinatorWaitingLines: waitingLines, ...Object.fromEntries(clients.map((entry) => [`${entry.name}.reconnectingEvents`, entry.statuses.filter((state) => state === 'reconnecting').length])) },
      { coordinatorExited: server.child.exitCode === null ? 0 : 1, clientsNotLoggedIn: clients.filter((entry) => entry.client.name !== entry.name).length },
    );
    expect(differences).toEqual(zeroes(differences));
  }, 120_000);

  it('a broker restart in the middle of a conversation loses nothing and doubles nothing; sessions survive', async () => {
    const server = coordinator as Program;
    const sent = new Map<string, string[]>(clients.map((entry) => [entry.name, []]));
    const sends: Promise<unknown>[] = [];
    const say = (round: string, count: number): void => {
      for (let index = 0; index < count; index += 1) {
        for (const entry of clients) {
          const text = `${entry.name} ${round} ${index}`;
          sent.get(entry.name)?.push(text);
          sends.push(entry.client.send(text));
        }
      }
    };
    say('before', 20);
    await Promise.all(sends);
    const reconnectsBefore = clients.map((entry) => entry.statuses.filter((state) => state === 'connected').length);
    const stderrBefore = server.stderr().length;

    // Lines in flight while the broker goes down, and lines typed while it is down.
    say('during', 20);
    await broker.stop();
    await waitFor(() => clients.every((entry) => entry.client.connectionStatus.state !== 'connected'), 'every client to notice');
    say('offline', 20);
    await broker.start();

    const outcomes = await settleWithin(sends, 'every line sent around the restart to be answered');
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    await waitFor(() => clients.every((entry) => entry.view.length >= sends.length), 'every client to show every message', 30_000);
    const history = await fullHistory(byName('ana').client);
    const log = loggedMessages(logLines());
    const reference = history.map((event) => event.id);

    const differences: Record<string, number> = {
      refused: refused.length,
      sentMinusStored: sends.length - history.length,
      storedMinusLogged: history.length - log.length,
      sessionsLost: clients.reduce((sum, entry) => sum + entry.sessionLost, 0),
      joinLinesMinusClients: logLines().filter((line) => line.includes(' JOIN ')).length - clients.length,
      clientsThatDidNotReconnect: clients.filter((entry, index) => entry.statuses.filter((state) => state === 'connected').length <= (reconnectsBefore[index] ?? 0)).length,
      coordinatorDidNotNotice: /unavailable .*retrying/.test(server.stderr().slice(stderrBefore)) ? 0 : 1,
    };
    addCheck(differences, 'log', compareIds(log.map((entry) => entry.id), reference));
    for (const entry of clients) addCheck(differences, entry.name, compareIds(entry.view.map((event) => event.id), reference));
    differences.senderOrderBroken = senderOrderBreaks(sent, history);
    const counts = { sent: sends.length, accepted: outcomes.length - refused.length, stored: history.length, logged: log.length, ...delivered(clients) };
    for (const outcome of refused) process.stdout.write(`  refused: ${String(outcome.reason)}\n`);
    expect(report('broker restart during a conversation', counts, differences)).toEqual(zeroes(differences));
    expect((await byName('bruno').client.users()).map((user) => user.name)).toEqual(['ana', 'bruno', 'chen']);
  }, 180_000);

  it('a client whose connection the broker closes comes back and shows what it missed, in order, once', async () => {
    const chen = byName('chen');
    const others = clients.filter((entry) => entry !== chen);
    const viewBefore = chen.view.length;
    // chen may reconnect only when the test says so.
    proxy.pause({ dropOpen: false });
    const closed = await broker.closeConnection(`warren-client ${chen.client.clientId}`, 'fault test: closed by an operator');
    await waitFor(() => chen.client.connectionStatus.state !== 'connected', 'chen to notice');

    const othersSends: Promise<unknown>[] = [];
    for (let index = 0; index < 30; index += 1) for (const entry of others) othersSends.push(entry.client.send(`${entry.name} while chen is away ${index}`));
    const typedAway = Array.from({ length: 10 }, (_, index) => `chen typed while away ${index}`);
    const chenSends = typedAway.map((text) => chen.client.send(text));
    await Promise.all(othersSends);
    const stillAway = chen.client.connectionStatus.state !== 'connected';
    proxy.resume();
    const chenOutcomes = await settleWithin(chenSends, 'chen\'s lines typed while away to be answered');

    const history = await fullHistory(byName('ana').client);
    await waitFor(() => chen.view.length >= history.length, 'chen to catch up', 30_000);
    const reference = history.map((event) => event.id);
    const seqOf = new Map(history.map((event) => [event.text, event.seq]));
    const chenSeqs = typedAway.map((text) => seqOf.get(text) ?? -1);

    const differences: Record<string, number> = {
      connectionsClosed: closed - 1,
      chenBackTooEarly: stillAway ? 0 : 1,
      chenLinesRefused: chenOutcomes.filter((outcome) => outcome.status === 'rejected').length,
      chenLinesOutOfOrder: chenSeqs.filter((seq, index) => seq < 0 || (index > 0 && seq <= (chenSeqs[index - 1] ?? 0))).length,
      sessionsLost: chen.sessionLost,
      nameChanged: chen.client.name === 'chen' ? 0 : 1,
    };
    addCheck(differences, 'chen', compareIds(chen.view.map((event) => event.id), reference));
    for (const entry of others) addCheck(differences, entry.name, compareIds(entry.view.map((event) => event.id), reference));
    const counts = { othersSent: othersSends.length, chenTypedAway: typedAway.length, missedWhileAway: chen.view.length - viewBefore - typedAway.length, stored: history.length, ...delivered(clients) };
    expect(report('client connection closed by the broker', counts, differences)).toEqual(zeroes(differences));
  }, 120_000);

  it('lines typed while away past the session timeout are reported as not sent', async () => {
    const chen = byName('chen');
    proxy.pause({ dropOpen: true });
    const typed = ['lost 1', 'lost 2', 'lost 3'];
    const sends = typed.map((text) => chen.client.send(text));
    // The coordinator frees chen's name once the session times out; ana sees chen leave.
    await waitFor(() => presence.some((event) => event.name === 'chen' && event.event === 'left'), 'chen to time out', (SESSION_TIMEOUT_S + 10) * 1000);
    proxy.resume();
    const settled = await settleWithin(sends, 'chen\'s lines to be answered');
    const codes = settled.map((outcome) => (outcome.status === 'rejected' && isWarrenError(outcome.reason) ? outcome.reason.code : 'accepted'));
    const history = await fullHistory(byName('ana').client);

    const differences = {
      notReportedAsNotSent: codes.filter((code) => code !== ERROR_CODES.SESSION_UNKNOWN).length,
      sessionLostEventsMinusOne: chen.sessionLost - 1,
      storedAnyway: history.filter((event) => typed.includes(event.text)).length,
      leftWithoutTimeoutReason: presence.filter((event) => event.name === 'chen' && event.event === 'left' && event.reason !== 'timeout').length,
    };
    expect(report('session lost while away', { typed: typed.length, rejected: codes.length - codes.filter((code) => code === 'accepted').length }, differences)).toEqual(
      zeroes(differences),
    );
  }, 120_000);
});
