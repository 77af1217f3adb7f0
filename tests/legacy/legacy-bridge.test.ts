import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WarrenClient } from '../../client/lib/warren-client.js';
import { Coordinator, type CoordinatorOptions } from '../../server/coordinator.js';
import { LegacyBridge } from '../../server/legacy/bridge.js';
import { silentLogger } from '../../server/logger.js';
import { openSqliteStore } from '../../server/store/open-store.js';
import { ERROR_CODES, topologyFor, type ChatEvent, type PresenceEvent } from '../../shared/index.js';
import { OPEN_MODE, amqpUrl, deleteNamespace, rawChannel, uniqueNamespace } from '../support/broker.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { waitFor } from '../support/wait.js';
import { LegacyClient, deleteLegacyNames } from './legacy-client.js';

/**
 * The Actividad 2 drop-in (issue 6) against the real broker. The legacy names are global, so
 * these tests run one at a time (jest --runInBand) and remove the names after each test.
 */
function watch(client: WarrenClient): { messages: ChatEvent[]; presence: PresenceEvent[] } {
  const seen = { messages: [] as ChatEvent[], presence: [] as PresenceEvent[] };
  client.on('message', (event) => seen.messages.push(event));
  client.on('presence', (event) => seen.presence.push(event));
  return seen;
}

describe('legacy protocol (Actividad 2 clients)', () => {
  let running: RunningCoordinator | undefined;
  const legacyClients: LegacyClient[] = [];

  async function start(overrides: Partial<CoordinatorOptions> = {}): Promise<RunningCoordinator> {
    running = await startCoordinator({ legacy: true, ...overrides });
    return running;
  }

  async function legacy(name?: string): Promise<LegacyClient> {
    const client = await LegacyClient.connect();
    legacyClients.push(client);
    if (name !== undefined) expect(await client.login(name)).toBe('ok');
    return client;
  }

  async function warren(name: string): Promise<WarrenClient> {
    if (!running) throw new Error('no coordinator');
    const client = await running.client();
    await client.login(name);
    return client;
  }

  function logLines(kind: string): string[] {
    return (running?.logLines() ?? []).filter((line) => line.split(' ')[1] === kind);
  }

  afterEach(async () => {
    await Promise.all(legacyClients.splice(0).map((client) => client.close()));
    await running?.stop();
    running = undefined;
    await deleteLegacyNames();
  });

  describe('login', () => {
    it('gives a free name, and says "nope" to a name taken by anyone (any case) or against the name rules', async () => {
      await start();
      await warren('wanda');
      await legacy('ana');
      const other = await legacy();
      expect(await other.login('ana')).toBe('nope');
      expect(await other.login('ANA')).toBe('nope');
      expect(await other.login('Wanda')).toBe('nope');
      expect(await other.login('two words')).toBe('nope');
      expect(await other.login('')).toBe('nope');
      expect(await other.login('x'.repeat(33))).toBe('nope');
      expect(await other.login('beto')).toBe('ok');
      const rejected = logLines('REJECTED');
      expect(rejected.filter((line) => line.includes('queue=server_pending_messages') && line.includes('code=NAME_TAKEN'))).toHaveLength(3);
      expect(rejected.filter((line) => line.includes('code=NAME_INVALID'))).toHaveLength(3);
      expect(logLines('JOIN').map((line) => line.split(' ').pop())).toEqual(['name=wanda', 'name=ana', 'name=beto']);
    });

    it('refuses a warren user the name a legacy user holds', async () => {
      await start();
      await legacy('ana');
      const late = await running!.client();
      await expect(late.login('Ana')).rejects.toMatchObject({ code: ERROR_CODES.NAME_TAKEN });
    });

    it('answers a repeated login of the same client with "ok", and a second name for a logged-in client with "nope"', async () => {
      await start();
      const ana = await legacy('ana');
      expect(await ana.login('ana')).toBe('ok');
      expect(await ana.login('other')).toBe('nope');
      expect(logLines('JOIN')).toHaveLength(1);
      expect(logLines('REJECTED').some((line) => line.includes('code=ALREADY_LOGGED_IN'))).toBe(true);
    });

    it('holds the login reply until the client has bound its queue (those clients race their own login)', async () => {
      await start();
      const watcher = await warren('wanda');
      const slow = await LegacyClient.connect({ listen: false });
      legacyClients.push(slow);
      slow.send({ ...slow.request('login'), username: 'lenta' });
      await waitFor(async () => (await watcher.users()).some((user) => user.name === 'lenta'), 'the coordinator to give the name');
      await slow.listen();
      expect((await slow.nextReply('login')).response).toBe('ok');
    });
  });

  it('lists legacy and warren users to both kinds of client, and announces legacy users to warren clients', async () => {
    await start();
    const wanda = await warren('wanda');
    const seen = watch(wanda);
    const ana = await legacy('ana');
    await waitFor(() => seen.presence.find((event) => event.event === 'joined' && event.name === 'ana'), 'the join of ana');
    expect(await ana.users()).toEqual(['ana', 'wanda']);
    expect((await wanda.users()).map((user) => user.name)).toEqual(['ana', 'wanda']);
  });

  it('carries the public chat both ways, logged with both timestamps and shown with the server time', async () => {
    await start();
    const wanda = await warren('wanda');
    const seen = watch(wanda);
    const ana = await legacy('ana');

    const request = ana.say('hola desde python', { timestamp: 1714564800.25 });
    const inWarren = await waitFor(() => seen.messages.find((event) => event.text === 'hola desde python'), 'the legacy message at the warren client');
    expect(inWarren).toMatchObject({ from: 'ana', room: 'general', clientTs: '2024-05-01T12:00:00.250Z', clientMsgId: request.id });
    const own = await ana.chatLine((line) => line.message === 'hola desde python', 'the legacy message');
    expect(own).toMatchObject({ id: request.id, type: 'message', username: 'ana', message: 'hola desde python' });
    expect(own.timestamp).toBe(Date.parse(inWarren.serverTs) / 1000);
    // The uuid is a legacy client's only credential: it is not broadcast.
    expect(own.client_uuid).not.toBe(ana.clientUuid);
    const logged = logLines('MESSAGE').find((line) => line.includes('from=ana'));
    expect(logged).toContain('room=general');
    expect(logged).toContain('client_ts=2024-05-01T12:00:00.250Z');
    expect(logged).toContain(`server_ts=${inWarren.serverTs}`);

    const accepted = await wanda.send('hello from node');
    const line = await ana.chatLine((candidate) => candidate.message === 'hello from node', 'the warren message');
    expect(Object.keys(line).sort()).toEqual(['client_uuid', 'id', 'message', 'timestamp', 'type', 'username']);
    expect(line).toMatchObject({ type: 'message', username: 'wanda', id: accepted.clientMsgId, timestamp: Date.parse(accepted.serverTs) / 1000 });
  });

  it('passes on only the public room: other rooms and private messages stay warren-only', async () => {
    await start();
    const wanda = await warren('wanda');
    const ana = await legacy('ana');
    await wanda.createRoom('dev');
    await wanda.send('only for dev', 'dev');
    const status = new Promise((resolve) => wanda.once('privateStatus', resolve));
    await wanda.send('psst', { to: 'ana' });
    await status;
    await wanda.send('marker');
    await ana.chatLine((line) => line.message === 'marker', 'the marker');
    expect(ana.chat.map((line) => line.message)).toEqual(['marker']);
    expect(ana.replies).toEqual([{ type: 'login', response: 'ok' }]);
  });

  it('lists a legacy user\'s own sent messages as JSON strings of the requests, with the client\'s time', async () => {
    await start();
    const wanda = await warren('wanda');
    const seen = watch(wanda);
    const ana = await legacy('ana');
    const beto = await legacy('beto');
    const first = ana.say('uno', { timestamp: 1714564800.5 });
    beto.say('de beto');
    const second = ana.say('dos', { timestamp: 1714564801.125 });
    await wanda.send('de wanda');
    await waitFor(() => seen.messages.length === 4 && seen.messages, 'all four messages');

    const mine = (await ana.myMessages()).map((entry) => JSON.parse(entry) as unknown);
    expect(mine).toEqual([
      { id: first.id, type: 'message', username: 'ana', client_uuid: ana.clientUuid, message: 'uno', timestamp: 1714564800.5 },
      { id: second.id, type: 'message', username: 'ana', client_uuid: ana.clientUuid, message: 'dos', timestamp: 1714564801.125 },
    ]);
    const fresh = await legacy('carla');
    expect(await fresh.myMessages()).toEqual([]);
  });

  it('frees the name on disconnect, and a repeated disconnect is harmless', async () => {
    await start();
    const wanda = await warren('wanda');
    const seen = watch(wanda);
    const ana = await legacy('ana');
    ana.disconnect();
    await waitFor(() => seen.presence.find((event) => event.event === 'left' && event.name === 'ana'), 'ana to leave');
    expect(seen.presence.find((event) => event.name === 'ana' && event.event === 'left')?.reason).toBe('exit');
    expect((await wanda.users()).map((user) => user.name)).toEqual(['wanda']);
    ana.disconnect();
    const again = await legacy('ana');
    expect(await again.users()).toEqual(['ana', 'wanda']);
    expect(logLines('LEAVE')).toEqual([expect.stringContaining('name=ana reason=exit')]);
    expect(logLines('REJECTED')).toEqual([]);
  });

  it('frees the name of a client that vanished, and never times out one that is still there', async () => {
    await start({ sessionTimeoutMs: 900 });
    const wanda = await warren('wanda');
    const seen = watch(wanda);
    const stays = await legacy('stays');
    const goes = await legacy('goes');
    await goes.close();
    await waitFor(() => seen.presence.find((event) => event.event === 'left' && event.name === 'goes'), 'the vanished client to be freed', 15_000);
    expect(seen.presence.find((event) => event.name === 'goes' && event.event === 'left')?.reason).toBe('timeout');

    // A warren client gone silent is timed out; once it is, the timeout has had its chance at the
    // legacy user, who has been silent longer.
    const canary = await warren('canary');
    await canary.close({ logout: false });
    await waitFor(() => seen.presence.find((event) => event.event === 'left' && event.name === 'canary'), 'the silent warren client to time out', 15_000);
    expect(await stays.users()).toEqual(['stays', 'wanda']);
    expect(seen.presence.some((event) => event.name === 'stays' && event.event === 'left')).toBe(false);
    const reborn = await legacy('goes');
    expect(reborn.username).toBe('goes');
  });

  it('keeps legacy sessions across a coordinator restart, still exempt from the timeout', async () => {
    const first = await start({ sessionTimeoutMs: 900 });
    const ana = await legacy('ana');
    await first.coordinator.stop();
    running = undefined;
    const second = await start({ sessionTimeoutMs: 900, namespace: first.namespace, dataDir: first.options.dataDir, logDir: first.options.logDir });
    const wanda = await warren('wanda');
    const seen = watch(wanda);
    const canary = await warren('canary');
    await canary.close({ logout: false });
    await waitFor(() => seen.presence.find((event) => event.event === 'left' && event.name === 'canary'), 'the silent warren client to time out', 15_000);
    expect(await ana.users()).toEqual(['ana', 'wanda']);
    ana.say('after the restart');
    await waitFor(() => seen.messages.find((event) => event.text === 'after the restart'), 'the message after the restart');
    expect(second.namespace).toBe(first.namespace);
  });

  it('shows the backlog to legacy clients when a legacy login activates the chat (MIN_USERS)', async () => {
    await start({ minUsers: 2 });
    const wanda = await running!.client();
    await wanda.login('wanda');
    const activated = new Promise((resolve) => wanda.once('activated', resolve));
    const held = wanda.send('before anyone');
    await waitFor(() => logLines('MESSAGE').some((line) => line.includes('before anyone')), 'the held message to be logged');
    const ana = await legacy('ana');
    await activated;
    await held;
    await ana.chatLine((line) => line.message === 'before anyone', 'the backlog');
    expect(logLines('ACTIVATED')).toHaveLength(1);
    const seen = watch(wanda);
    ana.say('after');
    await waitFor(() => seen.messages.find((event) => event.text === 'after'), 'the legacy message after activation');
  });

  describe('malformed requests', () => {
    it('are logged as REJECTED, dead-lettered, answered where possible, and harm nothing', async () => {
      await start();
      const wanda = await warren('wanda');
      const seen = watch(wanda);
      const ana = await legacy('ana');
      const valid = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...ana.request('message', { message: 'hola' }), ...extra });
      const without = (field: string): Record<string, unknown> => {
        const copy = valid();
        delete copy[field];
        return copy;
      };
      const cases: [string, Buffer | Record<string, unknown>, string][] = [
        ['not JSON', Buffer.from('{"type": "message", '), ERROR_CODES.MALFORMED_JSON],
        ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x81]), ERROR_CODES.MALFORMED_JSON],
        ['a JSON array', Buffer.from('[1, 2, 3]'), ERROR_CODES.INVALID_MESSAGE],
        ['a JSON string', Buffer.from('"hola"'), ERROR_CODES.INVALID_MESSAGE],
        ['no type', without('type'), ERROR_CODES.INVALID_MESSAGE],
        ['an unknown type', valid({ type: 'register' }), ERROR_CODES.UNKNOWN_TYPE],
        ['no username', without('username'), ERROR_CODES.INVALID_MESSAGE],
        ['no client_uuid', without('client_uuid'), ERROR_CODES.INVALID_MESSAGE],
        ['no id', without('id'), ERROR_CODES.INVALID_MESSAGE],
        ['no timestamp', without('timestamp'), ERROR_CODES.INVALID_MESSAGE],
        ['a message without text', without('message'), ERROR_CODES.INVALID_MESSAGE],
        ['a bad client_uuid', valid({ client_uuid: 'not-a-uuid' }), ERROR_CODES.INVALID_MESSAGE],
        ['a bad id', valid({ id: 'x; DROP' }), ERROR_CODES.INVALID_MESSAGE],
        ['a timestamp as text', valid({ timestamp: '1714564800' }), ERROR_CODES.INVALID_MESSAGE],
        ['a negative timestamp', valid({ timestamp: -1 }), ERROR_CODES.INVALID_MESSAGE],
        ['text that is not a string', valid({ message: 42 }), ERROR_CODES.INVALID_MESSAGE],
        ['an oversize body', Buffer.from(JSON.stringify(valid({ message: 'x'.repeat(20_000) }))), ERROR_CODES.PAYLOAD_TOO_LARGE],
        ['blank text', valid({ message: '   ' }), ERROR_CODES.TEXT_EMPTY],
        ['text over the limit', valid({ message: 'x'.repeat(2001) }), ERROR_CODES.TEXT_TOO_LONG],
        ['a forged sender', valid({ username: 'wanda' }), ERROR_CODES.FORGED_SENDER],
        ['a client that never logged in', valid({ client_uuid: randomUUID(), username: 'ghost' }), ERROR_CODES.SESSION_UNKNOWN],
        ['users_list from a client that never logged in', { ...ana.request('users_list'), client_uuid: randomUUID() }, ERROR_CODES.SESSION_UNKNOWN],
      ];
      for (const [, body] of cases) ana.send(body);

      const rejected = await waitFor(() => {
        const lines = logLines('REJECTED');
        return lines.length >= cases.length && lines;
      }, () => `${cases.length} REJECTED lines; log: ${running?.logLines().join('\n')}`);
      expect(rejected).toHaveLength(cases.length);
      expect(rejected.every((line) => line.includes('queue=server_pending_messages'))).toBe(true);
      expect(rejected.map((line) => /code=(\S+)/.exec(line)?.[1])).toEqual(cases.map(([, , code]) => code));

      const { channel, close } = await rawChannel();
      try {
        const deadLetterQueue = topologyFor(running!.namespace).deadLetterQueue;
        const copies = await waitFor(async () => {
          const { messageCount } = await channel.checkQueue(deadLetterQueue);
          return messageCount >= cases.length && messageCount;
        }, 'every malformed request to be dead-lettered');
        expect(copies).toBe(cases.length);
        const bodies: string[] = [];
        for (let index = 0; index < copies; index += 1) {
          const copy = await channel.get(deadLetterQueue, { noAck: true });
          if (!copy) throw new Error('a dead-letter copy went missing');
          expect(copy.properties.headers?.['x-warren-source-queue']).toBe('server_pending_messages');
          bodies.push(copy.content.toString('utf8'));
        }
        expect(bodies[0]).toBe('{"type": "message", ');
        // The uuid is a legacy client's credential: the copies do not carry it.
        expect(bodies.some((body) => body.includes('"client_uuid":"[redacted]"'))).toBe(true);
        expect(bodies.filter((body) => body.includes(ana.clientUuid))).toEqual([]);
      } finally {
        await close();
      }

      // Whoever could be told, was: the cases that carried ana's uuid, in her client's error format.
      const errors = await waitFor(() => {
        const found = ana.replies.filter((reply) => reply.type === 'error');
        return found.length >= 13 && found;
      }, () => `error replies; got ${JSON.stringify(ana.replies)}`);
      expect(errors).toHaveLength(13);
      expect(errors.some((reply) => String(reply.response).startsWith('UNKNOWN_TYPE: '))).toBe(true);
      expect(errors.some((reply) => String(reply.response).startsWith('FORGED_SENDER: '))).toBe(true);
      expect(ana.chat).toEqual([]);
      expect(seen.messages).toEqual([]);

      // Both kinds of client are still served.
      ana.say('still here');
      await waitFor(() => seen.messages.find((event) => event.text === 'still here'), 'a legacy message after the bad ones');
      await wanda.send('me too');
      await ana.chatLine((line) => line.message === 'me too', 'a warren message after the bad ones');
      await legacy('beto');
      await warren('wilma');
    });
  });

  it('retries a request it failed on once, then dead-letters it as INTERNAL and goes on serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-legacy-'));
    const namespace = uniqueNamespace();
    const real = openSqliteStore(join(dir, 'data'));
    let failures = 0;
    const faulty = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'messagesOfSession') {
          return () => {
            failures += 1;
            throw new Error('disk on fire');
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const coordinator = new Coordinator(
      { amqpUrl: amqpUrl(), security: OPEN_MODE, namespace, dataDir: join(dir, 'data'), logDir: join(dir, 'log'), sessionTimeoutMs: 15_000, historyOnJoin: 20, prefetch: 200 },
      silentLogger,
      { store: faulty, extension: new LegacyBridge() },
    );
    await coordinator.start();
    try {
      const ana = await legacy('ana');
      ana.send(ana.request('user_messages_list'));
      const { channel, close } = await rawChannel();
      try {
        const copy = await waitFor(() => channel.get(topologyFor(namespace).deadLetterQueue, { noAck: true }), 'the dead-letter copy');
        expect(copy.properties.headers).toMatchObject({ 'x-warren-error-code': ERROR_CODES.INTERNAL, 'x-warren-error-reason': 'disk on fire' });
      } finally {
        await close();
      }
      expect(failures).toBe(2);
      expect(await ana.users()).toEqual(['ana']);
    } finally {
      await coordinator.stop();
      await deleteNamespace(namespace);
    }
  });

  describe('topology', () => {
    async function failingStart(options: Partial<CoordinatorOptions> = {}): Promise<unknown> {
      const dir = mkdtempSync(join(tmpdir(), 'warren-legacy-'));
      const namespace = uniqueNamespace();
      const coordinator = new Coordinator(
        { amqpUrl: amqpUrl(), security: OPEN_MODE, namespace, dataDir: join(dir, 'data'), logDir: join(dir, 'log'), sessionTimeoutMs: 15_000, historyOnJoin: 20, prefetch: 200, ...options },
        silentLogger,
        { extension: new LegacyBridge() },
      );
      try {
        await coordinator.start();
        return undefined;
      } catch (err) {
        return err;
      } finally {
        await coordinator.stop();
        await deleteNamespace(namespace);
      }
    }

    it('declares the names the way the clients expect, so their own declarations succeed', async () => {
      await start();
      const { channel, close } = await rawChannel();
      try {
        // The properties the clients use: a mismatch would close this channel with 406.
        await channel.assertExchange('broadcast', 'fanout', { durable: false, autoDelete: false });
        await channel.assertQueue('server_pending_messages', { durable: true });
        await channel.checkExchange('user_channel');
      } finally {
        await close();
      }
      await legacy('ana');
    });

    it('refuses to start a second coordinator serving the legacy protocol on the same broker', async () => {
      await start();
      const err = await failingStart();
      expect(err).toMatchObject({ code: ERROR_CODES.CONFIG_INVALID, message: expect.stringContaining('server_pending_messages') });
      await legacy('ana');
    });

    it('refuses to start when `broadcast` exists with other properties, naming the problem', async () => {
      const { channel, close } = await rawChannel();
      await channel.assertExchange('broadcast', 'fanout', { durable: true });
      await close();
      const err = await failingStart();
      expect(err).toMatchObject({ code: ERROR_CODES.CONFIG_INVALID, message: expect.stringContaining('broadcast') });
    });
  });
});
