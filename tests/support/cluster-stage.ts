import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueNamespace } from './broker.js';
import { joinClients, type Sender } from './cluster-traffic.js';
import { coordinatorProgram, stopProgram, timelines, waitForServing } from './fault-kit.js';
import { RATE_LIMITS_OFF, type Program } from './programs.js';
import { freePort } from './private-broker.js';
import { startSecureTestCluster, startTestCluster, urlsFrom, type RabbitCluster } from './rabbit-cluster.js';
import { sleep } from './wait.js';

/** What `clusterStage` sets up; each field is there once the describe block's `beforeAll` has run. */
export interface ClusterStage {
  readonly namespace: string;
  readonly cluster: RabbitCluster;
  readonly coordinator: Program;
  readonly senders: Sender[];
  /** Lines of the coordinator's chat log so far. */
  logLines(): string[];
  /** For a failure's report: each client's link timeline and the coordinator's last 80 lines of output. */
  explain(): string;
}

/**
 * Call inside a `describe`: its `beforeAll` starts a three-node cluster (rabbit-cluster.ts), the
 * real coordinator given every node, and clients called `names`, each starting on another node;
 * its `afterAll` closes and removes them all. Everyone is placed, not spread
 * (WARREN_AMQP_NODE_ORDER=listed): the coordinator on node 0, client i on node i mod 3, so a test
 * knows in advance who is on the node it kills (tests/cluster/node-order.test.ts tests spreading). `secure`: every node asks the coordinator's
 * authority (`startSecureTestCluster`) and the clients log in with minted ids; open mode otherwise.
 */
export function clusterStage(names: readonly string[], options: { secure?: boolean } = {}): ClusterStage {
  const namespace = uniqueNamespace(options.secure ? 'scluster' : 'cluster');
  const dir = mkdtempSync(join(tmpdir(), 'warren-cluster-stage-'));
  const logPath = join(dir, 'log', 'chat.log');
  let cluster: RabbitCluster | undefined;
  let coordinator: Program | undefined;
  let senders: Sender[] = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the cluster stage has no ${what}: its beforeAll did not finish`);
    return value;
  };

  beforeAll(async () => {
    const authorityPort = options.secure ? await freePort() : undefined;
    const nodes = authorityPort === undefined ? await startTestCluster() : await startSecureTestCluster(authorityPort);
    cluster = nodes;
    coordinator = coordinatorProgram({
      ...(authorityPort === undefined ? {} : { WARREN_INSECURE_OPEN_BROKER: '', WARREN_AUTHORITY_PORT: String(authorityPort) }),
      AMQP_URL: nodes.urls(),
      // On node 0, as the tests say (secure-node-kill kills the node the coordinator is on).
      WARREN_AMQP_NODE_ORDER: 'listed',
      WARREN_NAMESPACE: namespace,
      WARREN_DATA_DIR: join(dir, 'data'),
      WARREN_LOG_DIR: join(dir, 'log'),
      WARREN_AMQP_HEARTBEAT: '2',
      ...RATE_LIMITS_OFF,
    });
    await waitForServing(coordinator, 0, 60_000);
    const security = options.secure ? ({ mode: 'secure', coordinatorUser: 'warren-coordinator' } as const) : ({ mode: 'open' } as const);
    senders = await joinClients(names, namespace, (index) => urlsFrom(nodes, index % nodes.nodes.length), security);
  }, 240_000);

  afterAll(async () => {
    // Bounded: a close that waits on a broker never holds back removing the cluster.
    await Promise.race([Promise.all(senders.map((entry) => entry.client.close())), sleep(15_000)]);
    if (coordinator) await stopProgram(coordinator, 5000);
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  return {
    namespace,
    get cluster() {
      return ready(cluster, 'cluster');
    },
    get coordinator() {
      return ready(coordinator, 'coordinator');
    },
    get senders() {
      return senders;
    },
    explain: () => `what the clients saw:\n${timelines(senders)}\nthe coordinator's last lines:\n${(coordinator?.stderr() ?? '').split('\n').slice(-80).join('\n')}`,
    logLines: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean) : []),
  };
}
