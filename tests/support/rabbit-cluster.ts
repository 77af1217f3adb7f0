import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterOnFreePorts, type RabbitCluster } from '../../server/broker/rabbit-cluster.js';
import { PrivateBroker } from './private-broker.js';

export { RabbitCluster } from '../../server/broker/rabbit-cluster.js';

/**
 * A three-node loopback RabbitMQ cluster of the test's own (server/broker/rabbit-cluster.ts), on
 * free ports, killed and removed when the test process exits even without `stop` (a failed
 * `beforeAll`, an interrupted run). One per test file: it takes 20–50 s to form.
 */
export async function startTestCluster(): Promise<RabbitCluster> {
  const cluster = await clusterOnFreePorts({ dir: mkdtempSync(join(tmpdir(), 'warren-cluster-')), prefix: 'warren-ctest', baseEnv: process.env });
  const killOnExit = (): void => cluster.stop();
  process.once('exit', killOnExit);
  try {
    await cluster.start();
  } catch (err) {
    cluster.stop();
    throw err;
  }
  return cluster;
}

/** Whether this machine can run private RabbitMQ nodes at all. */
export const clusterAvailable = PrivateBroker.available;

/** The cluster's URLs starting at node `first`: clients given different orders start on different nodes. */
export function urlsFrom(cluster: RabbitCluster, first: number): string {
  const urls = cluster.nodes.map((node) => node.url);
  return [...urls.slice(first), ...urls.slice(0, first)].join(',');
}
