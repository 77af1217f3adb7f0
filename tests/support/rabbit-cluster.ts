import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterNodeBrokerConfig } from '../../server/broker/broker-config.js';
import { clusterOnFreePorts, type RabbitCluster } from '../../server/broker/rabbit-cluster.js';
import { PrivateBroker } from './private-broker.js';

export { RabbitCluster } from '../../server/broker/rabbit-cluster.js';

/**
 * A three-node loopback RabbitMQ cluster of the test's own (server/broker/rabbit-cluster.ts), on
 * free ports, killed and removed when the test process exits even without `stop` (a failed
 * `beforeAll`, an interrupted run). One per test file: it takes 20–50 s to form.
 */
export async function startTestCluster(nodeConfig: { extraConfig?: string; plugins?: readonly string[] } = {}): Promise<RabbitCluster> {
  const cluster = await clusterOnFreePorts({ dir: mkdtempSync(join(tmpdir(), 'warren-cluster-')), prefix: 'warren-ctest', baseEnv: process.env, ...nodeConfig });
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

const REPO = join(import.meta.dirname, '..', '..');

/**
 * The test cluster in secure mode: every node configured from the repository's broker/rabbitmq.conf
 * and broker/enabled_plugins like the single secure node (tests/support/secure-broker.ts), asking
 * the authority at 127.0.0.1:`authorityPort`, without management and Prometheus (ports per node).
 * Nobody logs in until a coordinator serves the authority there.
 */
export function startSecureTestCluster(authorityPort: number): Promise<RabbitCluster> {
  return startTestCluster(
    clusterNodeBrokerConfig(readFileSync(join(REPO, 'broker', 'rabbitmq.conf'), 'utf8'), readFileSync(join(REPO, 'broker', 'enabled_plugins'), 'utf8'), {
      authorityOrigin: `http://127.0.0.1:${authorityPort}`,
      definitionsFile: join(REPO, 'broker', 'definitions.json'),
    }),
  );
}
