import type { Channel } from 'amqplib';
import { BindingWatch } from '../../client/lib/binding-watch.js';
import { ClientLink } from '../../client/lib/client-link.js';
import { QueueDepths } from '../../server/observability/queue-depths.js';
import { BrokerConnection, closeThrowawayChannel } from '../../shared/index.js';
import { secureTopologyFor } from '../../shared/secure-topology.js';
import { amqpUrl, deleteNamespace, rawChannel, uniqueNamespace } from '../support/broker.js';
import { settleWithin } from '../support/fault-kit.js';

/**
 * A client's own queue deleted under it, and the channel trap found on the way
 * (tests/faults/topology-restore.test.ts, "deleting bob's own queue"): the consumer's cancel makes
 * the link reconnect at once, so a throwaway channel on that connection may be closing just then.
 */

/** Resolves at the next 'connected' of `connection`. */
function nextConnected(connection: BrokerConnection): Promise<void> {
  return new Promise((resolve) => {
    const onStatus = (status: { state: string }): void => {
      if (status.state !== 'connected') return;
      connection.off('status', onStatus);
      resolve();
    };
    connection.on('status', onStatus);
  });
}

/** 'pending' unless `promise` has settled by now. */
async function stateOf(promise: Promise<unknown>): Promise<'settled' | 'pending'> {
  const settled = promise.then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  await new Promise((resolve) => setImmediate(resolve));
  return Promise.race([settled, Promise.resolve('pending' as const)]);
}

describe('closeThrowawayChannel: a throwaway channel closed as its connection goes', () => {
  let connection: BrokerConnection;

  beforeEach(async () => {
    connection = new BrokerConnection({ url: amqpUrl(), connectionName: 'warren-test throwaway-close' });
    await connection.waitForConnect();
  });

  afterEach(async () => {
    await connection.close();
  });

  async function throwaway(): Promise<Channel> {
    const channel = await connection.openThrowawayChannel();
    if (!channel) throw new Error('not connected');
    channel.on('error', () => undefined);
    return channel;
  }

  it("amqplib's own close() never settles when the connection closes before the channel's CloseOk (the trap)", async () => {
    const channel = await throwaway();
    const closed = new Promise((resolve) => channel.once('close', resolve));
    const reconnected = nextConnected(connection);
    const closing = channel.close();
    closing.catch(() => undefined);
    // Sent in the same turn as the ChannelClose, before any CloseOk can be read: the closing connection drops it.
    connection.reconnect();
    await closed;
    await reconnected;
    // The old connection is gone, so its CloseOk can never come: pending now is pending for good.
    expect(await stateOf(closing)).toBe('pending');
  });

  it('closeThrowawayChannel settles in that same case', async () => {
    const channel = await throwaway();
    const reconnected = nextConnected(connection);
    const closing = closeThrowawayChannel(channel);
    connection.reconnect();
    await settleWithin([closing], 'closing the throwaway channel under a reconnect', 10_000);
    await reconnected;
  });

  it('closeThrowawayChannel settles on a channel the broker closed already (a failed passive check), and on a plain close', async () => {
    const refused = await throwaway();
    await expect(refused.checkQueue(`warren-test-never-declared-${uniqueNamespace()}`)).rejects.toMatchObject({ code: 404 });
    await settleWithin([closeThrowawayChannel(refused)], 'closing a channel the broker closed', 10_000);
    const plain = await throwaway();
    await settleWithin([closeThrowawayChannel(plain)], 'closing a live channel', 10_000);
  });

  it("the coordinator's queue depths (metrics) keep refreshing after a reconnect met their channel's close", async () => {
    const admin = await rawChannel();
    const queue = `warren-test-depths-${uniqueNamespace()}`;
    try {
      await admin.channel.assertQueue(queue, { autoDelete: false });
      const depths = new QueueDepths({
        queues: { probe: queue },
        minIntervalMs: 0,
        timeoutMs: 5000,
        openChannel: async () => {
          const channel = await throwaway();
          // The reconnect goes out in the same turn as the channel's close, as when a cancel arrives then.
          const close = channel.close.bind(channel);
          channel.close = () => {
            const closing = close();
            connection.reconnect();
            return closing;
          };
          return channel;
        },
      });
      const reconnected = nextConnected(connection);
      expect((await depths.current()).get('probe')).toBe(0);
      await reconnected;
      admin.channel.sendToQueue(queue, Buffer.from('one'));
      await admin.channel.waitForConfirms();
      // A refresh still hanging on the first close would be served (stale) instead of asking again.
      expect((await depths.current()).get('probe')).toBe(1);
    } finally {
      await admin.channel.deleteQueue(queue).catch(() => undefined);
      await admin.close();
    }
  });
});

describe("a client's own queue deleted: one notice, in the same words whichever sign came first", () => {
  const namespace = uniqueNamespace('ownq');
  const topology = secureTopologyFor(namespace);
  let link: ClientLink;
  const lost: string[] = [];
  let reconnects = 0;

  beforeAll(async () => {
    link = new ClientLink({ amqpUrl: amqpUrl(), security: { mode: 'open', clientId: 'c1' }, topology });
    link.on('lost', (what) => lost.push(what));
    link.on('reconnected', () => (reconnects += 1));
    await link.connect();
  });

  afterAll(async () => {
    await link.close();
    await deleteNamespace(namespace);
  });

  async function reconnectedAfter(before: number): Promise<void> {
    const waiting = new Promise<void>((resolve) => {
      const check = (): void => {
        if (reconnects <= before) return;
        link.off('reconnected', check);
        resolve();
      };
      link.on('reconnected', check);
      check();
    });
    await settleWithin([waiting], 'the link consuming again', 20_000);
  }

  it('the binding watch finding our queue missing reports it through ownQueueDeleted', async () => {
    const connection = new BrokerConnection({ url: amqpUrl(), connectionName: 'warren-test own-queue-watch' });
    const said: string[] = [];
    try {
      await connection.waitForConnect();
      const watch = new BindingWatch({
        link: {
          queue: `${topology.clientQueue('never-declared')}`,
          isConnected: true,
          openThrowawayChannel: () => connection.openThrowawayChannel(),
          ownQueueDeleted: (noticedBy) => said.push(noticedBy),
        },
        eventsExchange: topology.eventsExchange,
        routingKeys: () => [],
        notice: () => undefined,
        refill: () => undefined,
        waiting: () => false,
      });
      await watch.check();
      expect(said).toEqual(['found missing by the binding check']);
    } finally {
      await connection.close();
    }
  });

  it('the watch noticing first says the queue was deleted, once, and the link consumes again', async () => {
    const before = { lost: lost.length, reconnects };
    link.ownQueueDeleted('found missing by the binding check');
    // The consumer's cancel (or another check) for the same loss: already said.
    link.ownQueueDeleted('the broker cancelled our consumer');
    await reconnectedAfter(before.reconnects);
    expect(lost.slice(before.lost)).toEqual([`our queue ${link.queue} was deleted (found missing by the binding check)`]);
  });

  it("the queue deleted on the link's own connection: the cancel says so in the same words, once, and the link consumes again", async () => {
    const before = { lost: lost.length, reconnects };
    const channel = await link.openThrowawayChannel();
    if (!channel) throw new Error('not connected');
    channel.on('error', () => undefined);
    // The cancel may make the link reconnect before the delete is answered: the queue goes either way.
    await channel.deleteQueue(link.queue).catch(() => undefined);
    await settleWithin([closeThrowawayChannel(channel)], 'closing the channel that deleted the queue', 10_000);
    await reconnectedAfter(before.reconnects);
    expect(lost.slice(before.lost)).toEqual([`our queue ${link.queue} was deleted (the broker cancelled our consumer)`]);
    // The next loss is news again.
    const next = { lost: lost.length, reconnects };
    link.ownQueueDeleted('found missing by the binding check');
    await reconnectedAfter(next.reconnects);
    expect(lost.slice(next.lost)).toEqual([`our queue ${link.queue} was deleted (found missing by the binding check)`]);
  });
});
