import { burst, tally, type Outcome } from '../support/cluster-traffic.js';
import { clusterStage } from '../support/cluster-stage.js';
import { loggedMessages, report, settleWithin, zeroes } from '../support/fault-kit.js';
import { clusterAvailable } from '../support/rabbit-cluster.js';
import { waitFor } from '../support/wait.js';

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
  const stage = clusterStage(NAMES);
  const { logLines } = stage;

  it('stops and starts each node in turn: nothing lost, doubled or reordered', async () => {
    const nodes = stage.cluster;
    const outcomes: Promise<Outcome>[] = [];
    let restarting = true;
    const bursts = burst(stage.senders, MIN_PER_CLIENT, WINDOW, outcomes, () => restarting);
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
    const { counts, differences } = await tally(stage.senders, outcomes, logLines, stage.explain);
    differences.coordinatorExited = stage.coordinator.child.exitCode === null ? 0 : 1;
    expect(report('cluster: rolling restart of all three nodes during traffic', { ...counts, restarts: nodes.nodes.length, loggedAtFirstRestart: loggedBefore[0] ?? 0, inputStalls: stage.coordinator.stderr().split('delivered nothing for').length - 1 }, differences)).toEqual(
      zeroes(differences),
    );
  }, 300_000);
});
