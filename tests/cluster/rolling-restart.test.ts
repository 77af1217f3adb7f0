import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { burst, joinClients, tally, type Outcome, type Sender } from '../support/cluster-traffic.js';
import { coordinatorProgram, loggedMessages, report, settleWithin, stopProgram, waitForServing, zeroes } from '../support/fault-kit.js';
import { RATE_LIMITS_OFF, type Program } from '../support/programs.js';
import { clusterAvailable, startTestCluster, urlsFrom, type RabbitCluster } from '../support/rabbit-cluster.js';
import { uniqueNamespace } from '../support/broker.js';
import { sleep, waitFor } from '../support/wait.js';

/**
 * A rolling restart, as an operator upgrades a cluster: each of the three nodes in turn is
 * stopped in order and started again while three clients keep sending to the real coordinator.
 * Nothing confirmed may be lost, doubled or reordered, per sender and per room.
 */

const MIN_PER_CLIENT = 400;
const WINDOW = 20;
const NAMES = ['eva', 'femi', 'gus'];

const runnable = clusterAvailable() || process.env.WARREN_REQUIRE_PRIVATE_BROKER === '1';

(runnable ? describe : describe.skip)('a rolling restart of every RabbitMQ cluster node during traffic', () => {
  const namespace = uniqueNamespace('cluster');
  const dir = mkdtempSync(join(tmpdir(), 'warren-cluster-roll-'));
  const logPath = join(dir, 'log', 'chat.log');
  const logLines = (): string[] => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean) : []);
  let cluster: RabbitCluster | undefined;
  let coordinator: Program | undefined;
  let senders: Sender[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster();
    coordinator = coordinatorProgram({
      AMQP_URL: cluster.urls(),
      WARREN_NAMESPACE: namespace,
      WARREN_DATA_DIR: join(dir, 'data'),
      WARREN_LOG_DIR: join(dir, 'log'),
      WARREN_AMQP_HEARTBEAT: '2',
      ...RATE_LIMITS_OFF,
    });
    await waitForServing(coordinator, 0, 60_000);
    const nodes = cluster;
    senders = await joinClients(NAMES, namespace, (index) => urlsFrom(nodes, index % nodes.nodes.length));
  }, 240_000);

  afterAll(async () => {
    // Bounded: a close that waits on a broker never holds back removing the cluster.
    await Promise.race([Promise.all(senders.map((entry) => entry.client.close())), sleep(15_000)]);
    if (coordinator) await stopProgram(coordinator, 5000);
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('stops and starts each node in turn: nothing lost, doubled or reordered', async () => {
    const nodes = cluster as RabbitCluster;
    const outcomes: Promise<Outcome>[] = [];
    let restarting = true;
    const bursts = burst(senders, MIN_PER_CLIENT, WINDOW, outcomes, () => restarting);
    await waitFor(() => loggedMessages(logLines()).length >= 100, 'the traffic to be under way', 60_000);
    const loggedBefore: number[] = [];
    for (const node of nodes.nodes) {
      loggedBefore.push(loggedMessages(logLines()).length);
      await nodes.stopNode(node.index);
      await nodes.restartNode(node.index);
      // Traffic must have gone on through this node's restart before the next one goes.
      const after = loggedMessages(logLines()).length;
      await waitFor(() => loggedMessages(logLines()).length > after + 20, `traffic after node ${node.index} came back`, 60_000);
    }
    restarting = false;
    await settleWithin([bursts], 'the clients to finish sending', 120_000);
    const { counts, differences } = await tally(senders, outcomes, logLines);
    differences.coordinatorExited = coordinator?.child.exitCode === null ? 0 : 1;
    expect(report('cluster: rolling restart of all three nodes during traffic', { ...counts, restarts: nodes.nodes.length, loggedAtFirstRestart: loggedBefore[0] ?? 0 }, differences)).toEqual(
      zeroes(differences),
    );
  }, 300_000);
});
