import { BrokerConnection, ERROR_CODES, redactUrl, type ConnectionStatus } from '../../shared/index.js';
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
