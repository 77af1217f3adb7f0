import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientOptions, parseClientSettings } from '../../client/config.js';
import { ClientLink } from '../../client/lib/client-link.js';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { secureTopologyFor } from '../../shared/secure-topology.js';
import { uniqueNamespace } from '../support/broker.js';
import { coordinatorProgram, stopProgram, waitForServing } from '../support/fault-kit.js';
import { RATE_LIMITS_OFF, type Program } from '../support/programs.js';
import { clusterAvailable, startTestCluster, type RabbitCluster } from '../support/rabbit-cluster.js';
import { sleep } from '../support/wait.js';

/**
 * Client-side spreading (WARREN_AMQP_NODE_ORDER) on a real three-node loopback cluster. Every
 * program below is given the same AMQP_URL, every node in node order. Clients are built the way
 * the client program builds them (parseClientSettings → clientOptions → WarrenClient), connect,
 * log in and have a line served; then the broker itself says which node each connection is on
 * (`rabbitmqctl list_connections port client_properties`: each node listens on its own port).
 *
 * - `spread` (the default): 12 clients land on more than one node. All 12 on one node by chance
 *   has probability 3 × (1/3)^12 ≈ 6e-6, so this does not pass by luck under `listed` nor fail
 *   by luck under `spread`.
 * - `listed`: 6 clients all land on node 0, as every program did before spreading.
 * - Starting nodes injected (ClientLink `pickNode`, which `spread` uses): links told 0, 1, 2 land
 *   on nodes 0, 1, 2 exactly, so the rotation maps to the node it names on a real cluster.
 */

const SPREAD_CLIENTS = 12;
const LISTED_CLIENTS = 6;

function progress(what: string): void {
  process.stdout.write(`[node-order] ${new Date().toISOString()} ${what}\n`);
}

const runnable = clusterAvailable() || process.env.WARREN_REQUIRE_PRIVATE_BROKER === '1';

(runnable ? describe : describe.skip)('spreading clients over the nodes of a cluster (WARREN_AMQP_NODE_ORDER)', () => {
  const namespace = uniqueNamespace('order');
  const dir = mkdtempSync(join(tmpdir(), 'warren-node-order-'));
  let cluster: RabbitCluster | undefined;
  let coordinator: Program | undefined;
  const clients: WarrenClient[] = [];
  const links: ClientLink[] = [];

  const nodes = (): RabbitCluster => {
    if (!cluster) throw new Error('the cluster did not start');
    return cluster;
  };

  beforeAll(async () => {
    cluster = await startTestCluster();
    progress(`cluster up: ${cluster.urls()}`);
    // The coordinator as deployed: the same list, its own default order (spread).
    coordinator = coordinatorProgram({
      AMQP_URL: cluster.urls(),
      WARREN_NAMESPACE: namespace,
      WARREN_DATA_DIR: join(dir, 'data'),
      WARREN_LOG_DIR: join(dir, 'log'),
      ...RATE_LIMITS_OFF,
    });
    await waitForServing(coordinator, 0, 60_000);
    const at = /connected to (\S+)/.exec(coordinator.stderr())?.[1];
    // Where the input queues' leaders went (quorum queues are led from where they were first declared).
    const leader = await cluster.leaderOf(`${namespace}.chat`).catch((err: unknown) => String(err));
    progress(`coordinator serving, on node ${at === undefined ? '?' : cluster.indexOfUrl(at)}; ${namespace}.chat led from node ${leader}`);
  }, 240_000);

  afterAll(async () => {
    await Promise.race([Promise.all([...clients.map((client) => client.close()), ...links.map((link) => link.close())]), sleep(15_000)]);
    if (coordinator) await stopProgram(coordinator, 5000);
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** The broker's word: connection name → index of the node it is on (by the port it came in on). */
  async function brokerNodes(): Promise<Map<string, number>> {
    const first = nodes().nodes[0];
    if (!first) throw new Error('the cluster has no nodes');
    const out = await nodes().ctl(first, ['list_connections', 'port', 'client_properties', '--formatter', 'json', '--quiet'], 30_000);
    const rows = JSON.parse(out) as { port: number; client_properties: [string, string, unknown][] }[];
    const byName = new Map<string, number>();
    for (const row of rows) {
      const name = row.client_properties.find(([key]) => key === 'connection_name')?.[2];
      if (typeof name === 'string') byName.set(name, nodes().nodes.findIndex((node) => node.port === row.port));
    }
    return byName;
  }

  /** `count` clients from the client program's own settings, connected, logged in, each with one line served. */
  async function clientsFromSettings(prefix: string, count: number, env: Record<string, string>): Promise<{ client: WarrenClient; statusNode: number }[]> {
    const settings = parseClientSettings([], { AMQP_URL: nodes().urls(), WARREN_NAMESPACE: namespace, WARREN_INSECURE_OPEN_BROKER: '1', WARREN_REQUEST_TIMEOUT: '30', ...env });
    const made: { client: WarrenClient; statusNode: number }[] = [];
    for (let i = 0; i < count; i += 1) {
      const entry = { client: new WarrenClient(clientOptions(settings)), statusNode: -1 };
      clients.push(entry.client);
      made.push(entry);
      // The node the client says it is on (its last `connected` status).
      entry.client.on('status', (status) => {
        if (status.state === 'connected') entry.statusNode = nodes().indexOfUrl(status.broker);
      });
      await entry.client.connect();
      await entry.client.login(`${prefix}${i}`);
      await entry.client.send(`${prefix}${i} is here`);
    }
    return made;
  }

  /** How many connections of `names` the broker has on each node. */
  function perNode(byName: Map<string, number>, names: string[]): number[] {
    const counts = nodes().nodes.map(() => 0);
    for (const name of names) {
      const node = byName.get(name);
      if (node !== undefined && node >= 0) counts[node] = (counts[node] ?? 0) + 1;
    }
    return counts;
  }

  it(`spread (the default): ${SPREAD_CLIENTS} clients given the same list land on more than one node, and are served there`, async () => {
    const made = await clientsFromSettings('spread', SPREAD_CLIENTS, {});
    const byName = await brokerNodes();
    const names = made.map(({ client }) => `warren-client ${client.clientId}`);
    const counts = perNode(byName, names);
    progress(`spread: clients per node (the broker's view) ${counts.join(' / ')}`);
    expect({
      // Bad input first: a client the broker does not list, or one whose own status names another node.
      notListedByTheBroker: names.filter((name) => !byName.has(name)).length,
      statusDisagreesWithBroker: made.filter(({ client, statusNode }) => byName.get(`warren-client ${client.clientId}`) !== statusNode).length,
      nodesUsed: counts.filter((count) => count > 0).length > 1 ? 'more than one' : 'one',
    }).toEqual({ notListedByTheBroker: 0, statusDisagreesWithBroker: 0, nodesUsed: 'more than one' });
  }, 180_000);

  it(`listed: ${LISTED_CLIENTS} clients all land on the first node of the list, as before spreading`, async () => {
    const made = await clientsFromSettings('listed', LISTED_CLIENTS, { WARREN_AMQP_NODE_ORDER: 'listed' });
    const byName = await brokerNodes();
    const names = made.map(({ client }) => `warren-client ${client.clientId}`);
    const counts = perNode(byName, names);
    progress(`listed: clients per node (the broker's view) ${counts.join(' / ')}`);
    expect(counts).toEqual([LISTED_CLIENTS, 0, 0]);
    expect(made.map(({ statusNode }) => statusNode)).toEqual(made.map(() => 0));
  }, 180_000);

  it('spread with the starting node injected: links told 0, 1 and 2 are on nodes 0, 1 and 2', async () => {
    const topology = secureTopologyFor(namespace);
    for (const start of [2, 0, 1]) {
      const link = new ClientLink({
        amqpUrl: nodes().urls(),
        security: { mode: 'open', clientId: `order-link-${start}-${Date.now()}` },
        topology,
        nodeOrder: 'spread',
        pickNode: (count) => {
          if (count !== 3) throw new Error(`picked among ${count} nodes, not 3`);
          return start;
        },
      });
      links.push(link);
      await link.connect();
    }
    const byName = await brokerNodes();
    const placed = links.map((link) => byName.get(`warren-client ${link.clientId}`));
    progress(`injected starts 2, 0, 1: the broker has the links on nodes ${placed.join(', ')}`);
    expect(placed).toEqual([2, 0, 1]);
  }, 120_000);
});
