import { createServer, type AddressInfo, type Server } from 'node:net';
import { WarrenClient } from '../../client/lib/warren-client.js';
import type { WarrenClientOptions } from '../../client/lib/api-types.js';
import { BrokerConnection, ERROR_CODES, redactUrl, type ConnectionStatus, type NodeOrder } from '../../shared/index.js';
import { amqpUrl } from '../support/broker.js';
import { waitFor } from '../support/wait.js';

/** The first status other than 'connecting', from a connection to `url`. */
async function firstOutcome(url: string): Promise<ConnectionStatus> {
  const connection = new BrokerConnection({ url, connectionName: 'warren-test broker-connection', backoff: { initialMs: 50, maxMs: 100 } });
  try {
    return await new Promise<ConnectionStatus>((resolve) => {
      connection.on('status', (status) => {
        if (status.state !== 'connecting') resolve(status);
      });
    });
  } finally {
    await connection.close();
  }
}

function withUrl(change: (url: URL) => void): string {
  const url = new URL(amqpUrl());
  change(url);
  return url.toString();
}

describe('BrokerConnection: which failures it gives up on', () => {
  it('gives up at once on refused credentials, as BROKER_ACCESS_REFUSED', async () => {
    const status = await firstOutcome(withUrl((url) => (url.password = 'not-the-password')));
    expect(status).toMatchObject({ state: 'failed', error: { code: ERROR_CODES.BROKER_ACCESS_REFUSED } });
  });

  it('gives up at once on a vhost the broker does not have, as BROKER_UNREACHABLE', async () => {
    const status = await firstOutcome(withUrl((url) => (url.pathname = '/no-such-vhost-warren-test')));
    expect(status).toMatchObject({ state: 'failed', error: { code: ERROR_CODES.BROKER_UNREACHABLE } });
  });

  it('keeps retrying when nothing listens on the port', async () => {
    const status = await firstOutcome(withUrl((url) => (url.port = '1')));
    expect(status.state).toBe('reconnecting');
  });

  it('connects with the right credentials', async () => {
    expect(await firstOutcome(amqpUrl())).toEqual({ state: 'connected', broker: redactUrl(amqpUrl()) });
  });
});

/** A URL on a loopback port nobody listens on (connections to it are refused at once). */
function deadUrl(): string {
  return withUrl((url) => (url.port = '1'));
}

describe('BrokerConnection: a list of nodes (AMQP_URL with every node of a cluster)', () => {
  it('goes past dead nodes at the head of the list without a backoff wait, and says which node it is on', async () => {
    const dead = deadUrl();
    const connection = new BrokerConnection({ url: `${dead},${dead},${amqpUrl()}`, connectionName: 'warren-test node-list', backoff: { initialMs: 2000, maxMs: 4000 } });
    const statuses: ConnectionStatus[] = [];
    connection.on('status', (status) => statuses.push(status));
    const began = performance.now();
    try {
      await connection.waitForConnect();
      const tookMs = performance.now() - began;
      process.stdout.write(`\n[node list] two dead nodes first, connected after ${tookMs.toFixed(0)} ms\n`);
      expect(statuses.filter((status) => status.state === 'reconnecting').map((status) => (status.state === 'reconnecting' ? status.delayMs : -1))).toEqual([0, 0]);
      expect(statuses.at(-1)).toEqual({ state: 'connected', broker: redactUrl(amqpUrl()) });
    } finally {
      await connection.close();
    }
  });

  it('waits with the backoff once every node of the list has failed', async () => {
    const dead = deadUrl();
    const connection = new BrokerConnection({ url: `${dead},${dead}`, connectionName: 'warren-test dead-list', backoff: { initialMs: 200, maxMs: 400 } });
    const delays: number[] = [];
    connection.on('status', (status) => {
      if (status.state === 'reconnecting') delays.push(status.delayMs);
    });
    try {
      await waitFor(() => delays.length >= 4, 'four failed attempts', 10_000);
      // Attempt 1: the second node at once; attempt 2 ends the round: backoff; attempt 3 at once again.
      expect(delays[0]).toBe(0);
      expect(delays[1]).toBeGreaterThanOrEqual(100);
      expect(delays[2]).toBe(0);
      expect(delays[3]).toBeGreaterThanOrEqual(100);
    } finally {
      await connection.close();
    }
  });
});

/**
 * Stand-ins for dead cluster nodes that say when they were tried: each accepts a TCP connection,
 * writes down its own name and hangs up (the AMQP handshake fails, as with a node that dies).
 */
async function recordingNodes(names: readonly string[]): Promise<{ urls: string[]; tried: string[]; close(): Promise<void> }> {
  const tried: string[] = [];
  const servers: Server[] = [];
  const urls: string[] = [];
  for (const name of names) {
    const server = createServer((socket) => {
      tried.push(name);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    urls.push(withUrl((url) => {
      url.hostname = '127.0.0.1';
      url.port = String((server.address() as AddressInfo).port);
    }));
  }
  return { urls, tried, close: () => Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))).then(() => undefined) };
}

describe('BrokerConnection: where in the list it starts (WARREN_AMQP_NODE_ORDER)', () => {
  /** Three failing nodes a, b, c, then the live broker, in that order; the connection's starting node picked by the test. */
  async function attempts(order: NodeOrder, pick: number): Promise<{ tried: string[]; startingNode: number; statuses: ConnectionStatus[] }> {
    const nodes = await recordingNodes(['a', 'b', 'c']);
    const connection = new BrokerConnection({
      url: [...nodes.urls, amqpUrl()].join(','),
      connectionName: `warren-test node-order ${order}`,
      backoff: { initialMs: 50, maxMs: 100 },
      nodeOrder: order,
      pickNode: (count) => {
        expect(count).toBe(4);
        return pick;
      },
    });
    const statuses: ConnectionStatus[] = [];
    connection.on('status', (status) => statuses.push(status));
    try {
      await connection.waitForConnect();
      const firstRound = nodes.tried.length;
      // The connection is lost (as when its node dies): it goes on from the node after the live one.
      connection.reconnect();
      await waitFor(() => statuses.filter((status) => status.state === 'connected').length >= 2, 'the connection to be back', 10_000);
      return { tried: [...nodes.tried.slice(0, firstRound), '|', ...nodes.tried.slice(firstRound)], startingNode: connection.startingNode, statuses };
    } finally {
      await connection.close();
      await nodes.close();
    }
  }

  it('listed: from the first node, round the list in its order', async () => {
    const { tried, startingNode, statuses } = await attempts('listed', 3);
    expect(startingNode).toBe(0);
    // a, b, c fail, the broker takes it; after the loss: a, b, c again (the broker is 4th of 4).
    expect(tried).toEqual(['a', 'b', 'c', '|', 'a', 'b', 'c']);
    expect(statuses.find((status) => status.state === 'connected')).toEqual({ state: 'connected', broker: redactUrl(amqpUrl()) });
  });

  it('spread: from the picked node, then round the list in its order, after a loss too', async () => {
    const { tried, startingNode, statuses } = await attempts('spread', 2);
    expect(startingNode).toBe(2);
    // Starts at c (index 2), then the broker; after the loss, on from the broker: a, b, c, broker.
    expect(tried).toEqual(['c', '|', 'a', 'b', 'c']);
    // The failed node before the broker is passed at once, as from the head of the list.
    expect(statuses.find((status) => status.state === 'reconnecting')).toMatchObject({ delayMs: 0 });
    expect(statuses.filter((status) => status.state === 'connected')).toHaveLength(2);
  });

  it('spread: a pick of the live node connects at once, nothing else tried', async () => {
    const { tried, startingNode } = await attempts('spread', 3);
    expect(startingNode).toBe(3);
    expect(tried).toEqual(['|', 'a', 'b', 'c']);
  });
});

describe('WarrenClient: spread unless told otherwise (the library behaves as the programs do)', () => {
  /** Where each of `count` clients given three nodes starts (white box: the library keeps its connection to itself). */
  async function starts(count: number, nodeOrder?: NodeOrder): Promise<number[]> {
    const dead = [1, 2, 3].map((port) => withUrl((url) => (url.port = String(port)))).join(',');
    const options: WarrenClientOptions = { amqpUrl: dead, namespace: 'warren-test-order', security: { mode: 'open' }, ...(nodeOrder === undefined ? {} : { nodeOrder }) };
    const clients = Array.from({ length: count }, () => new WarrenClient(options));
    const found = clients.map((client) => (client as unknown as { link: { connection: BrokerConnection } }).link.connection.startingNode);
    await Promise.all(clients.map((client) => client.close()));
    return found;
  }

  it('without nodeOrder: clients start on every node of three (all 60 on one or two by chance: below 1e-10)', async () => {
    expect(new Set(await starts(60))).toEqual(new Set([0, 1, 2]));
  });

  it('listed: every client starts at the first node', async () => {
    expect(new Set(await starts(20, 'listed'))).toEqual(new Set([0]));
  });
});

/** Whether Nagle's algorithm is off on the socket under a channel: Node keeps what setNoDelay was last told. */
function noDelayOf(channel: unknown): boolean | undefined {
  const socket = (channel as { connection?: { stream?: object } }).connection?.stream;
  if (!socket) throw new Error('no socket under the channel');
  const symbol = Object.getOwnPropertySymbols(socket).find((candidate) => candidate.description === 'kSetNoDelay');
  return symbol === undefined ? undefined : (socket as Record<symbol, boolean>)[symbol];
}

describe("BrokerConnection: Nagle's algorithm (WARREN_AMQP_NO_DELAY)", () => {
  it.each([
    [undefined, true],
    [true, true],
    [false, false],
  ])('noDelay %p gives a socket with TCP_NODELAY %p', async (noDelay, expected) => {
    const connection = new BrokerConnection({ url: amqpUrl(), connectionName: 'warren-test no-delay', ...(noDelay === undefined ? {} : { noDelay }) });
    try {
      await connection.waitForConnect();
      const channel = await connection.openThrowawayChannel();
      expect(noDelayOf(channel)).toBe(expected);
      await channel?.close();
    } finally {
      await connection.close();
    }
  });
});
