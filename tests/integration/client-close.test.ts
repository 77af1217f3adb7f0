import { LOGOUT_WAIT_MS, WarrenClient } from '../../client/lib/warren-client.js';
import { amqpUrl, deleteNamespace, uniqueNamespace } from '../support/broker.js';

/**
 * close() logs out first, best effort. A request's clock starts only once the broker confirms it,
 * so a logout that cannot get through (no coordinator has bound the input: the publish comes back
 * and waits in the outbox, as it does while a node is gone or a login is refused) used to leave
 * close() waiting for good, and the client reconnecting after its owner had let it go (seen in a
 * cluster test whose two clients kept reconnecting after the test file ended). Now the logout is
 * given LOGOUT_WAIT_MS, then the client closes anyway.
 */
describe('WarrenClient.close with a logout that cannot be answered', () => {
  const namespace = uniqueNamespace('close');

  afterAll(async () => {
    await deleteNamespace(namespace);
  });

  it('closes within its logout wait, and the connection with it', async () => {
    const client = new WarrenClient({ amqpUrl: amqpUrl(), namespace, security: { mode: 'open' }, requestTimeoutMs: 60_000 });
    await client.connect();
    // Logged in, as far as the client knows (white box: no coordinator runs in this namespace).
    (client as unknown as { session: { name: string; token: string } }).session = { name: 'ana', token: 'a-token-nobody-knows' };
    const statuses: string[] = [];
    client.on('status', (status) => statuses.push(status.state));

    const started = performance.now();
    const closed = client.close().then(() => performance.now() - started);
    let timer: NodeJS.Timeout | undefined;
    const stillWaiting = new Promise<'still waiting'>((resolve) => {
      timer = setTimeout(() => resolve('still waiting'), LOGOUT_WAIT_MS + 5_000);
    });
    const outcome = await Promise.race([closed, stillWaiting]);
    clearTimeout(timer);

    expect(outcome).not.toBe('still waiting');
    expect(outcome).toBeGreaterThanOrEqual(LOGOUT_WAIT_MS - 50);
    expect(statuses).toContain('closed');
  }, 30_000);
});
