import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, type ChatEvent, type ConnectionStatus, type WarrenError } from '../../shared/index.js';
import { amqpUrlWithCredentials, mintClientCredentials } from '../../shared/broker-identity.js';
import { clientQueueOptions, secureTopologyFor } from '../../shared/secure-topology.js';
import { CLIENT_MAIN, SERVER_MAIN, runProgram, type Program } from '../support/programs.js';
import { PrivateBroker, freePort } from '../support/private-broker.js';
import { SecureBroker } from '../support/secure-broker.js';
import { TerminalSession } from '../support/terminal.js';
import { sleep, waitFor } from '../support/wait.js';

/**
 * Secure mode end to end: the real coordinator program (its authority inside) and real clients,
 * the library and the terminal program in a pseudo-terminal, on a private node started from the
 * repository's broker/ files. One node for the whole file: booting one takes seconds.
 */
const available = PrivateBroker.available();
const describeBroker = available ? describe : describe.skip;

const NAMESPACE = 'sec-e2e';
const ADMIN_PASSWORD = 'operator-password-for-tests';
const SECURE_ENV = { WARREN_INSECURE_OPEN_BROKER: '' };

let broker: SecureBroker;
let coordinator: Program | undefined;
let dir: string;
const clients: WarrenClient[] = [];
const terminals: TerminalSession[] = [];

function coordinatorEnv(): Record<string, string> {
  return {
    ...SECURE_ENV,
    AMQP_URL: broker.baseUrl,
    WARREN_NAMESPACE: NAMESPACE,
    WARREN_DATA_DIR: join(dir, 'data'),
    WARREN_LOG_DIR: join(dir, 'log'),
    WARREN_AUTHORITY_PORT: String(broker.authorityPort),
    WARREN_MANAGEMENT_URL: `http://127.0.0.1:${broker.managementPort}`,
    WARREN_BROKER_ADMIN_PASSWORD: ADMIN_PASSWORD,
  };
}

async function startCoordinatorProgram(): Promise<Program> {
  const program = runProgram(SERVER_MAIN, [], coordinatorEnv());
  await waitFor(() => program.stderr().includes('coordinator ready') || program.child.exitCode !== null, 'the coordinator to serve', 30_000);
  if (program.child.exitCode !== null) throw new Error(`coordinator exited: ${program.stderr()}`);
  return program;
}

async function stopCoordinatorProgram(program: Program | undefined): Promise<void> {
  if (!program || program.child.exitCode !== null) return;
  program.child.kill('SIGTERM');
  await program.exited;
}

interface Watched {
  client: WarrenClient;
  messages: ChatEvent[];
  statuses: ConnectionStatus[];
  protocolErrors: WarrenError[];
}

async function secureClient(name: string): Promise<Watched> {
  const client = new WarrenClient({
    amqpUrl: broker.baseUrl,
    namespace: NAMESPACE,
    security: { mode: 'secure', coordinatorUser: 'warren-coordinator' },
    requestTimeoutMs: 10_000,
    reconnectBackoff: { initialMs: 100, maxMs: 1000 },
    // Refusals are retried this long (30 s by default) before the client gives up: shorter here, so
    // the ended session's refusal is seen sooner, long enough for a coordinator restart.
    refusedGraceMs: 15_000,
  });
  clients.push(client);
  const watched: Watched = { client, messages: [], statuses: [], protocolErrors: [] };
  client.on('message', (event) => watched.messages.push(event));
  client.on('status', (status) => watched.statuses.push(status));
  client.on('protocolError', (error) => watched.protocolErrors.push(error));
  await client.connect();
  await client.login(name);
  return watched;
}

function logLines(): string[] {
  const path = join(dir, 'log', 'chat.log');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
}

const texts = (watched: Watched): string[] => watched.messages.map((event) => event.text);

beforeAll(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'warren-secure-e2e-'));
  broker = await SecureBroker.start({ authorityPort: await freePort() });
  coordinator = await startCoordinatorProgram();
}, 120_000);

afterAll(async () => {
  for (const terminal of terminals) terminal.kill();
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await stopCoordinatorProgram(coordinator);
  if (broker) await broker.stop();
}, 60_000);

describeBroker('secure mode end to end', () => {
  let alice: Watched;
  let bob: Watched;

  it('logs in with minted ids (no secret configured anywhere), chats, lists users and sends a private message', async () => {
    expect(coordinator?.stderr()).not.toMatch(/insecure/i);
    alice = await secureClient('alice');
    bob = await secureClient('bob');
    expect(alice.client.clientId).toMatch(/^c-[A-Za-z0-9_-]{22}$/);

    await alice.client.send('hello from alice');
    await waitFor(() => texts(bob).includes('hello from alice'), 'bob to see alice');
    expect((await bob.client.users()).map((user) => user.name)).toEqual(['alice', 'bob']);

    const statuses: boolean[] = [];
    alice.client.on('privateStatus', (status) => statuses.push(status.delivered));
    await alice.client.send('just for you', { to: 'bob' });
    await waitFor(() => texts(bob).includes('just for you'), 'bob to get the private message');
    await waitFor(() => statuses.includes(true), 'alice to hear it was delivered');
    expect(alice.protocolErrors).toEqual([]);
    expect(bob.protocolErrors).toEqual([]);
  });

  it('the terminal program logs in, chats and leaves with /exit; its name is then free', async () => {
    const term = new TerminalSession(process.execPath, [CLIENT_MAIN, '--user', 'carol'], {
      ...SECURE_ENV,
      AMQP_URL: broker.baseUrl,
      WARREN_NAMESPACE: NAMESPACE,
    });
    terminals.push(term);
    await term.waitForText('Welcome to warren, carol!', 20_000);
    expect(term.text()).not.toMatch(/insecure/i);
    term.enter('hi from the terminal');
    await waitFor(() => texts(alice).includes('hi from the terminal'), 'alice to see carol');
    await alice.client.send('hello carol');
    await term.waitForText('hello carol');
    term.enter('/users');
    await term.waitForText(/Online \(3\): .*alice.*bob.*carol/);
    term.enter('/exit');
    expect(await term.exited).toBe(0);
    await waitFor(async () => !(await alice.client.users()).some((user) => user.name === 'carol'), 'carol to be gone');
  }, 60_000);

  it('reconnects after the operator closes its connection (rabbitmqctl close_connection) and keeps chatting', async () => {
    const closed = await broker.node.closeConnection(`warren-client ${bob.client.clientId}`, 'test: operator closes bob');
    expect(closed).toBe(1);
    await waitFor(() => bob.statuses.some((status) => status.state === 'reconnecting' || status.state === 'disconnected'), 'bob to notice');
    await waitFor(() => bob.client.connectionStatus.state === 'connected', 'bob to reconnect', 20_000);
    await alice.client.send('after the reconnect');
    await waitFor(() => texts(bob).includes('after the reconnect'), 'bob to see messages again', 15_000);
    await bob.client.send('bob is back');
    await waitFor(() => texts(alice).includes('bob is back'), 'alice to see bob');
  }, 60_000);

  it('keeps clients working across a coordinator restart: identities and sessions are in its store', async () => {
    await stopCoordinatorProgram(coordinator);
    // The authority is away: the broker refuses what it must ask about (an idle channel's publish
    // is checked again), and the client rides it out instead of giving up.
    const sentWhileAway = bob.client.send('while the coordinator is away');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    coordinator = await startCoordinatorProgram();
    await sentWhileAway;
    await waitFor(() => texts(alice).includes('while the coordinator is away'), 'alice to get what bob sent meanwhile', 20_000);
    await alice.client.send('after the restart');
    await waitFor(() => texts(bob).includes('after the restart'), 'bob to see alice after the restart', 15_000);
    expect((await bob.client.users()).map((user) => user.name)).toEqual(['alice', 'bob']);
  }, 60_000);

  it('drops a delivery not published by the coordinator, and the broker refuses one that claims to be it', async () => {
    // The operator's admin user may write anywhere: the strongest forger short of the coordinator.
    const admin = await amqplib.connect(amqpUrlWithCredentials(broker.baseUrl, 'admin', ADMIN_PASSWORD));
    try {
      const channel = await admin.createConfirmChannel();
      const queue = `${NAMESPACE}.client.${bob.client.clientId}`;
      const forged = { type: 'message', room: 'general', seq: 9999, num: 9999, id: 'x', from: 'alice', text: 'forged \u001b[2J', serverTs: new Date().toISOString(), clientMsgId: 'x' };
      channel.sendToQueue(queue, Buffer.from(JSON.stringify(forged)), { userId: 'admin' });
      channel.sendToQueue(queue, Buffer.from(JSON.stringify({ type: 'error', code: 'SESSION_UNKNOWN', message: 'you are out' })));
      await channel.waitForConfirms();
      await waitFor(() => bob.client.untrustedCount >= 2, 'bob to drop both');
      expect(bob.protocolErrors.filter((error) => error.code === ERROR_CODES.UNTRUSTED_SENDER)).toHaveLength(2);
      expect(bob.client.name).toBe('bob');
      const liar = await admin.createConfirmChannel();
      const refused = new Promise<Error>((resolve) => liar.on('error', resolve));
      liar.sendToQueue(queue, Buffer.from('{}'), { userId: 'warren-coordinator' });
      expect((await refused).message).toMatch(/PRECONDITION_FAILED/);
    } finally {
      await admin.close().catch(() => undefined);
    }
    expect(texts(bob)).not.toContain('forged \u001b[2J');
  });

  it('takes the sender from userId: input without it is refused, and replies never follow a replyTo', async () => {
    const me = mintClientCredentials();
    const connection = await amqplib.connect(amqpUrlWithCredentials(broker.baseUrl, me.clientId, me.secret));
    try {
      const channel = await connection.createConfirmChannel();
      const topology = secureTopologyFor(NAMESPACE);
      const mine = topology.clientQueue(me.clientId);
      await channel.assertQueue(mine, clientQueueOptions());
      const replies: Record<string, unknown>[] = [];
      await channel.consume(mine, (msg) => msg && replies.push(JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>), { noAck: true });
      const login = (requestId: string, name: string): Buffer =>
        Buffer.from(JSON.stringify({ type: 'login', requestId, name, clientId: me.clientId, clientTs: new Date().toISOString() }));
      const bobsQueue = topology.clientQueue(bob.client.clientId);
      const bobsErrorsBefore = bob.protocolErrors.length;

      // No userId: the broker lets it through (it is optional), the coordinator refuses it and answers nobody.
      channel.publish(topology.inputExchange, 'command', login('no-user-id', 'mallory'), { replyTo: mine });
      await channel.waitForConfirms();
      await waitFor(() => logLines().some((line) => line.includes('code=SENDER_UNVERIFIED')), 'the refusal in chat.log');
      expect(replies).toEqual([]);

      // With userId, a replyTo naming bob's queue is ignored: the answer comes to mine.
      channel.publish(topology.inputExchange, 'command', login('with-user-id', 'mallory'), { userId: me.clientId, replyTo: bobsQueue });
      await channel.waitForConfirms();
      await waitFor(() => replies.find((reply) => reply.requestId === 'with-user-id'), 'the login answer on my own queue');
      expect(replies.find((reply) => reply.requestId === 'with-user-id')).toMatchObject({ type: 'login.ok', name: 'mallory' });

      // A bogus token aimed at bob's queue is answered to me, and bob keeps his session.
      const beat = { type: 'heartbeat', requestId: 'bogus', token: randomBytes(24).toString('base64url') };
      channel.publish(topology.inputExchange, 'command', Buffer.from(JSON.stringify(beat)), { userId: me.clientId, replyTo: bobsQueue });
      await channel.waitForConfirms();
      await waitFor(() => replies.find((reply) => reply.requestId === 'bogus'), 'the refusal on my own queue');
      expect(replies.find((reply) => reply.requestId === 'bogus')).toMatchObject({ type: 'error', code: ERROR_CODES.SESSION_UNKNOWN });
      expect(bob.client.name).toBe('bob');
      expect(bob.protocolErrors).toHaveLength(bobsErrorsBefore);
    } finally {
      await connection.close().catch(() => undefined);
    }
  });

  it('refuses at the broker a client whose session ended: its connection is closed and it cannot come back', async () => {
    await alice.client.logout();
    await waitFor(() => alice.client.connectionStatus.state === 'failed', 'alice to be shut out', 40_000);
    const status = alice.client.connectionStatus;
    expect(status.state === 'failed' && status.error.code).toBe(ERROR_CODES.BROKER_ACCESS_REFUSED);
    // Bob is unaffected.
    await bob.client.send('still here');
    expect((await bob.client.users()).map((user) => user.name)).not.toContain('alice');
  }, 60_000);

  it("probes its input queues as the coordinator user: none ever stalled, the broker never closed the coordinator's channel", async () => {
    // Both input queues deliver to this coordinator (only those are probed), then a few rounds of probes.
    await bob.client.send('a line for the chat queue');
    await bob.client.users();
    await sleep(5000);
    // A probe the broker refused would close the channel (logged); one that never arrived, a stall warning.
    const output = coordinator?.stderr() ?? '';
    expect(output).toContain('serving');
    expect(output).not.toContain('delivered nothing for');
    expect(output).not.toMatch(/channel error|closed the coordinator's channel/);
  }, 30_000);
});
