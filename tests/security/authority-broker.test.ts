import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { amqpUrlWithCredentials, mintClientCredentials, type ClientCredentials } from '../../shared/broker-identity.js';
import { clientQueueOptions, declareSecureTopology, secureTopologyFor } from '../../shared/secure-topology.js';
import { LEGACY, LEGACY_DECLARATIONS } from '../../server/legacy/protocol.js';
import { Authority } from '../../server/authority/authority.js';
import { tryOn } from '../support/attacker.js';
import { freePort, PrivateBroker } from '../support/private-broker.js';
import { SecureBroker } from '../support/secure-broker.js';
import { waitFor } from '../support/wait.js';

/**
 * The real broker, configured from broker/, asking a stand-alone authority (no coordinator):
 * what a client with valid credentials of its own can and cannot do, with raw amqplib.
 */

const NS = 'sec';
const T = secureTopologyFor(NS);
const available = PrivateBroker.available();
const describeBroker = available ? describe : describe.skip;

let broker: SecureBroker;
let authority: Authority;
let coordinator: ChannelModel;
let coordinatorChannel: ConfirmChannel;
const opened: ChannelModel[] = [];
const tally = { attempts: 0, refused: 0 };
/** The authority's refusals, newest last, to tell why the broker closed a connection (amqplib drops the reason during the handshake). */
const refusals: string[] = [];
const brokerEvents: { key: string; name: unknown }[] = [];

async function startAuthority(legacyGuest: boolean): Promise<void> {
  authority = await Authority.start({
    namespace: NS,
    amqpUrl: broker.baseUrl,
    port: broker.authorityPort,
    managementUrl: `http://127.0.0.1:${broker.managementPort}`,
    legacyGuest,
    maxConnectionsPerClient: 3,
    brokerEvents: { keys: ['queue.deleted'], onEvent: (key, headers) => brokerEvents.push({ key, name: headers.name }) },
    onDecision: (path, fields, decision) => {
      if (!decision.allow) refusals.push(`${path} ${fields.username}: ${decision.reason}`);
    },
  });
  await authority.ready();
  coordinator = await amqplib.connect(authority.coordinatorUrl);
  coordinatorChannel = await coordinator.createConfirmChannel();
}

async function stopAuthority(): Promise<void> {
  await coordinator.close().catch(() => undefined);
  await authority.stop();
}

async function connectAs(user: string, password: string, name = 'attacker'): Promise<ChannelModel> {
  const connection = await amqplib.connect(amqpUrlWithCredentials(broker.baseUrl, user, password), { clientProperties: { connection_name: name } });
  connection.on('error', () => undefined);
  opened.push(connection);
  return connection;
}

/** One attack: must be refused with `code`. */
async function refused(connection: ChannelModel, code: number, act: (channel: ConfirmChannel) => Promise<unknown>): Promise<void> {
  tally.attempts += 1;
  const result = await tryOn(connection, act);
  if (result === code) tally.refused += 1;
  expect(result).toBe(code);
}

function publish(channel: ConfirmChannel, exchange: string, key: string, options: amqplib.Options.Publish = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(exchange, key, Buffer.from('{}'), options, (err) => (err ? reject(err) : resolve()));
  });
}

async function loginRefused(user: string, password: string): Promise<void> {
  tally.attempts += 1;
  const error = await connectAs(user, password).then(
    () => undefined,
    (err: Error) => err,
  );
  expect(error?.message).toMatch(/ACCESS[-_]REFUSED|403/);
  if (error) tally.refused += 1;
}

beforeAll(async () => {
  if (!available) return;
  const authorityPort = await freePort();
  broker = await SecureBroker.start({ authorityPort });
  await startAuthority(false);
  await declareSecureTopology(coordinatorChannel, T);
}, 120_000);

afterAll(async () => {
  for (const connection of opened) await connection.close().catch(() => undefined);
  if (authority) await stopAuthority();
  if (broker) await broker.stop();
  if (available) console.log(`authority attack tally: attempts=${tally.attempts} refused=${tally.refused}`);
}, 60_000);

describeBroker('secure broker: a client with its own id', () => {
  let me: ClientCredentials;
  let mine: ChannelModel;
  let victim: ClientCredentials;
  let victimConnection: ChannelModel;
  const myQueue = (): string => T.clientQueue(me.clientId);

  beforeAll(async () => {
    me = mintClientCredentials();
    victim = mintClientCredentials();
    mine = await connectAs(me.clientId, me.secret, 'me');
    victimConnection = await connectAs(victim.clientId, victim.secret, 'victim');
    const v = await victimConnection.createChannel();
    await v.assertQueue(T.clientQueue(victim.clientId), clientQueueOptions());
  });

  it('declares, consumes and deletes its own queue; publishes to the input with its own userId', async () => {
    expect(await tryOn(mine, async (ch) => {
      await ch.assertQueue(myQueue(), clientQueueOptions());
      await ch.consume(myQueue(), () => undefined);
    })).toBe('ok');
    // Exactly one queue per id: a second one of its own name plus a suffix is refused.
    expect(await tryOn(mine, (ch) => ch.assertQueue(`${myQueue()}.extra`, clientQueueOptions()))).toBe(403);
    const got: ConsumeMessage[] = [];
    await coordinatorChannel.consume(T.chatQueue, (msg) => msg && got.push(msg), { noAck: true });
    expect(await tryOn(mine, (ch) => publish(ch, T.inputExchange, T.chatRoutingKey, { userId: me.clientId }))).toBe('ok');
    await waitFor(() => got.length === 1, 'the coordinator receives the input');
    expect(got[0]?.properties.userId).toBe(me.clientId);
  });

  it('is refused the events exchange until the coordinator binds its id, then only presence and public rooms', async () => {
    await refused(mine, 403, (ch) => ch.bindQueue(myQueue(), T.eventsExchange, 'presence'));
    expect(authority.bind(me.clientId, 'alice')).toBe('bound');
    expect(await tryOn(mine, async (ch) => {
      await ch.assertQueue(myQueue(), clientQueueOptions());
      await ch.bindQueue(myQueue(), T.eventsExchange, 'presence');
      await ch.bindQueue(myQueue(), T.eventsExchange, 'room.general');
    })).toBe('ok');
    for (const key of ['#', '*', 'room.*', 'room.#', '#.general', 'room.General', 'room.dm:alice:bob']) {
      await refused(mine, 403, (ch) => ch.bindQueue(myQueue(), T.eventsExchange, key));
    }
  });

  it('receives what the coordinator publishes, carrying the coordinator as userId', async () => {
    const got: ConsumeMessage[] = [];
    const ch = await mine.createChannel();
    await ch.consume(myQueue(), (msg) => msg && got.push(msg), { noAck: true });
    await publish(coordinatorChannel, T.eventsExchange, 'room.general', { userId: authority.coordinatorUser });
    await publish(coordinatorChannel, '', myQueue(), { userId: authority.coordinatorUser });
    await waitFor(() => got.length === 2, 'both deliveries');
    expect(got.map((m) => m.properties.userId)).toEqual([authority.coordinatorUser, authority.coordinatorUser]);
    await ch.close();
  });

  it('cannot publish as someone else, nor anywhere but the input exchange', async () => {
    await refused(mine, 406, (ch) => publish(ch, T.inputExchange, T.chatRoutingKey, { userId: victim.clientId }));
    await refused(mine, 406, (ch) => publish(ch, T.inputExchange, T.commandRoutingKey, { userId: authority.coordinatorUser }));
    await refused(mine, 403, (ch) => publish(ch, '', T.chatQueue, { userId: me.clientId }));
    await refused(mine, 403, (ch) => publish(ch, '', T.clientQueue(victim.clientId), { userId: me.clientId }));
    await refused(mine, 403, (ch) => publish(ch, T.eventsExchange, 'room.general', { userId: me.clientId }));
    await refused(mine, 403, (ch) => publish(ch, T.deadLetterExchange, '', { userId: me.clientId }));
    await refused(mine, 403, (ch) => publish(ch, 'amq.topic', 'x', { userId: me.clientId }));
  });

  it('cannot read the input queues or anyone else’s queue', async () => {
    for (const queue of [T.chatQueue, T.commandQueue, T.deadLetterQueue, T.clientQueue(victim.clientId)]) {
      await refused(mine, 403, (ch) => ch.consume(queue, () => undefined));
      await refused(mine, 403, (ch) => ch.get(queue));
    }
  });

  it('cannot declare, delete or purge shared names or another client’s queue; passive declare of it is locked', async () => {
    const other = T.clientQueue(victim.clientId);
    await refused(mine, 403, (ch) => ch.assertQueue(other, clientQueueOptions()));
    await refused(mine, 403, (ch) => ch.deleteQueue(other));
    await refused(mine, 403, (ch) => ch.purgeQueue(other));
    await refused(mine, 405, (ch) => ch.checkQueue(other));
    for (const queue of [T.chatQueue, T.commandQueue, T.deadLetterQueue]) {
      await refused(mine, 403, (ch) => ch.deleteQueue(queue));
      await refused(mine, 403, (ch) => ch.purgeQueue(queue));
      await refused(mine, 403, (ch) => ch.assertQueue(queue, { exclusive: true }));
    }
    for (const exchange of [T.eventsExchange, T.inputExchange, T.deadLetterExchange]) {
      await refused(mine, 403, (ch) => ch.deleteExchange(exchange));
    }
    await refused(mine, 403, (ch) => ch.assertExchange(`${myQueue()}`, 'fanout'));
    await refused(mine, 403, (ch) => ch.assertQueue(T.clientQueue(mintClientCredentials().clientId), clientQueueOptions()));
  });

  it('cannot bind the input queues anywhere, nor its queue to another exchange', async () => {
    for (const exchange of [T.deadLetterExchange, T.eventsExchange, T.inputExchange, 'amq.fanout']) {
      await refused(mine, 403, (ch) => ch.bindQueue(T.chatQueue, exchange, '#'));
    }
    await refused(mine, 403, (ch) => ch.bindQueue(myQueue(), T.inputExchange, T.chatRoutingKey));
    await refused(mine, 403, (ch) => ch.bindQueue(myQueue(), T.deadLetterExchange, ''));
    await refused(mine, 403, (ch) => ch.bindQueue(myQueue(), 'amq.rabbitmq.event', '#'));
  });

  it('logins: a wrong secret, another id’s secret, the coordinator, guest in secure mode, a non-id', async () => {
    await loginRefused(me.clientId, mintClientCredentials().secret);
    await loginRefused(victim.clientId, me.secret);
    await loginRefused(authority.coordinatorUser, 'guessed-password-guessed-password');
    await loginRefused('guest', 'guest');
    await loginRefused('admin', 'admin');
    await loginRefused('alice', me.secret);
  });

  it('the per-id connection cap: a fourth connection is refused, and allowed once one closes', async () => {
    const capped = mintClientCredentials();
    const three = [await connectAs(capped.clientId, capped.secret), await connectAs(capped.clientId, capped.secret), await connectAs(capped.clientId, capped.secret)];
    tally.attempts += 1;
    const error = await connectAs(capped.clientId, capped.secret).then(() => undefined, (err: Error) => err);
    // 530 NOT_ALLOWED during the handshake; amqplib reports only that the broker closed.
    expect(error?.message).toMatch(/ConnectionClose/);
    expect(refusals.at(-1)).toBe(`vhost ${capped.clientId}: connection cap: 3 of 3`);
    // The broker's own word for it (its log is written a moment later).
    await waitFor(() => broker.node.logTail(400).includes(`access to vhost '/' refused for user '${capped.clientId}'`), 'the broker logs the refusal');
    if (error) tally.refused += 1;
    await three[0]?.close();
    await waitFor(async () => (await connectAs(capped.clientId, capped.secret).then(() => true, () => false)), 'a connection fits again', 10_000);
  });

  it('a revoked id is refused at once: new logins and new checks; disconnect closes what its channels had cached', async () => {
    const gone = mintClientCredentials();
    const connection = await connectAs(gone.clientId, gone.secret);
    const cached = await connection.createConfirmChannel();
    await publish(cached, T.inputExchange, T.chatRoutingKey, { userId: gone.clientId });
    authority.revoke(gone.clientId);
    await refused(connection, 403, (ch) => ch.assertQueue(T.clientQueue(gone.clientId), clientQueueOptions()));
    await loginRefused(gone.clientId, gone.secret);
    // The broker cached the write on this channel: it still publishes until the connection goes.
    await publish(cached, T.inputExchange, T.chatRoutingKey, { userId: gone.clientId });
    const closed = new Promise((resolve) => connection.once('close', resolve));
    await waitFor(async () => (await authority.disconnect(gone.clientId)) === 1, 'the management API closes the connection');
    await closed;
  });

  it('the authority’s management identity cannot use AMQP', async () => {
    await loginRefused('warren-authority', 'not-the-password-not-the-password');
  });
});

describeBroker('secure broker: the coordinator and legacy guest', () => {
  it('follows more broker events for the coordinator on the same stream', async () => {
    const queue = `${NS}.watched-${randomUUID()}`;
    await coordinatorChannel.assertQueue(queue);
    await coordinatorChannel.deleteQueue(queue);
    await waitFor(() => brokerEvents.some((e) => e.key === 'queue.deleted' && e.name === queue), 'the queue.deleted event');
  });

  it('the coordinator declares and uses its namespace, and nothing outside it', async () => {
    expect(await tryOn(coordinator, async (ch) => {
      await declareSecureTopology(ch, T);
      await ch.checkQueue(T.chatQueue);
      await publish(ch, T.eventsExchange, 'presence', { userId: authority.coordinatorUser });
      await publish(ch, T.deadLetterExchange, '', { userId: authority.coordinatorUser });
    })).toBe('ok');
    await refused(coordinator, 403, (ch) => ch.assertQueue('elsewhere.chat'));
    await refused(coordinator, 403, (ch) => ch.assertQueue(LEGACY.requestQueue, LEGACY_DECLARATIONS.requestQueue));
  });

  it('with legacy mode on, guest uses exactly the legacy names and nothing of warren', async () => {
    await stopAuthority();
    await startAuthority(true);
    const c = coordinatorChannel;
    await c.assertExchange(LEGACY.replyExchange, LEGACY_DECLARATIONS.replyExchange.type, LEGACY_DECLARATIONS.replyExchange.options);
    await c.assertExchange(LEGACY.chatExchange, LEGACY_DECLARATIONS.chatExchange.type, LEGACY_DECLARATIONS.chatExchange.options);
    await c.assertQueue(LEGACY.requestQueue, LEGACY_DECLARATIONS.requestQueue);
    const requests: ConsumeMessage[] = [];
    await c.consume(LEGACY.requestQueue, (msg) => msg && requests.push(msg), { noAck: true });

    const guest = await connectAs('guest', 'guest', 'legacy');
    const uuid = randomUUID();
    expect(await tryOn(guest, async (ch) => {
      await ch.assertQueue(uuid, { exclusive: true, durable: false, autoDelete: false });
      await ch.bindQueue(uuid, LEGACY.replyExchange, uuid);
      await ch.consume(uuid, () => undefined);
      await ch.assertExchange(LEGACY.chatExchange, 'fanout', { durable: false, autoDelete: false, internal: false });
      const { queue } = await ch.assertQueue('', { exclusive: true, durable: false });
      await ch.bindQueue(queue, LEGACY.chatExchange, '');
      await ch.consume(queue, () => undefined);
      await publish(ch, '', LEGACY.requestQueue, { deliveryMode: 2 });
    })).toBe('ok');
    await waitFor(() => requests.length === 1, 'the legacy request arrives');

    await refused(guest, 403, (ch) => ch.consume(T.chatQueue, () => undefined));
    await refused(guest, 403, (ch) => ch.consume(LEGACY.requestQueue, () => undefined));
    await refused(guest, 403, (ch) => ch.deleteQueue(LEGACY.requestQueue));
    await refused(guest, 403, (ch) => publish(ch, T.eventsExchange, 'presence'));
    await refused(guest, 403, (ch) => publish(ch, T.inputExchange, 'chat'));
    await refused(guest, 403, (ch) => publish(ch, LEGACY.chatExchange, ''));
    await refused(guest, 403, (ch) => ch.assertQueue(T.clientQueue(mintClientCredentials().clientId)));
    await refused(guest, 403, (ch) => ch.deleteExchange(T.eventsExchange));
    await refused(guest, 406, (ch) => publish(ch, '', LEGACY.requestQueue, { userId: authority.coordinatorUser }));
    await refused(guest, 403, (ch) => ch.deleteExchange(LEGACY.replyExchange));
    // Not defended by the broker (docs/SECURITY.md): write on amq.default reaches warren's queues by
    // name; the message carries no warren userId, which is how the coordinator and clients refuse it.
    const into: ConsumeMessage[] = [];
    await c.consume(T.commandQueue, (msg) => msg && into.push(msg), { noAck: true });
    expect(await tryOn(guest, (ch) => publish(ch, '', T.commandQueue))).toBe('ok');
    await waitFor(() => into.length === 1, 'the legacy write arrives');
    expect(into[0]?.properties.userId).toBeUndefined();
  });

  it('with the authority down, the broker refuses new logins and new checks (fails closed)', async () => {
    const me = mintClientCredentials();
    const connection = await connectAs(me.clientId, me.secret);
    await authority.stop();
    await refused(connection, 403, (ch) => ch.assertQueue(T.clientQueue(me.clientId), clientQueueOptions()));
    tally.attempts += 1;
    const error = await connectAs(me.clientId, me.secret).then(() => undefined, (err: Error) => err);
    expect(error).toBeDefined();
    if (error) tally.refused += 1;
  });
});
