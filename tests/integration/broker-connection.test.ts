import { BrokerConnection, ERROR_CODES, type ConnectionStatus } from '../../shared/index.js';
import { amqpUrl } from '../support/broker.js';

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
    expect(await firstOutcome(amqpUrl())).toEqual({ state: 'connected' });
  });
});
