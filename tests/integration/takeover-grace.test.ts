import amqplib from 'amqplib';
import { secureTopologyFor, deleteSecureTopology } from '../../shared/secure-topology.js';
import { amqpUrl } from '../support/broker.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';

/** Removes a namespace declared with `partitions` partitions (deleteNamespace knows only one). */
async function deletePartitioned(namespace: string, partitions: number): Promise<void> {
  const connection = await amqplib.connect(amqpUrl());
  try {
    const channel = await connection.createChannel();
    await deleteSecureTopology(channel, secureTopologyFor(namespace), partitions);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/**
 * The takeover grace (server/input/partition-share.ts) is for a partition taken over from a live
 * coordinator. A coordinator that starts alone has taken nothing over: its grace here is an hour,
 * longer than the test's timeout, so a grace applied to its first inputs fails the test.
 */
describe.each([1, 2])('a coordinator started alone, %i partition(s) of each kind', (partitions) => {
  let running: RunningCoordinator;
  beforeEach(async () => {
    running = await startCoordinator({ inputPartitions: partitions, takeoverGraceMs: 3_600_000 });
  });
  afterEach(async () => {
    await running.stop();
    if (partitions > 1) await deletePartitioned(running.namespace, partitions);
  });

  it('serves its first command and chat message without the grace', async () => {
    const alice = await running.client();
    await alice.login('alice');
    const accepted = await alice.send('first');
    expect(accepted.seq).toBe(1);
  });
});
