import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * A three-node RabbitMQ cluster on loopback, for the cluster fault tests, the failover benchmark
 * and `npm run cluster -- start|stop`. Each node has its own name (`<prefix>-<port>@localhost`),
 * AMQP and Erlang-distribution ports, configuration, data and log under `dir`; they find each
 * other through classic-config peer discovery, so no `join_cluster` step is needed (about 18 s to
 * a formed cluster). Only the consistent-hash exchange plugin is enabled: management and
 * Prometheus would each want a port per node. Started as root, the server re-runs itself as the
 * rabbitmq user with that user's Erlang cookie, which rabbitmqctl finds the same way.
 */
export interface ClusterNode {
  readonly index: number;
  /** `<prefix>-<port>@localhost` */
  readonly name: string;
  readonly port: number;
  readonly distPort: number;
  readonly url: string;
  readonly dir: string;
  readonly pidFile: string;
}

export interface RabbitClusterOptions {
  /** Where every node keeps its files; removed by `stop`. */
  dir: string;
  /** AMQP ports, one per node (three for the usual cluster). */
  ports: readonly number[];
  /** Erlang distribution ports, one per node; default: each AMQP port + 20000 (− 20000 above 45535). */
  distPorts?: readonly number[];
  /** Start of the node names, to tell clusters apart (default `warren-cluster`). */
  prefix?: string;
  /** Extra rabbitmq.conf lines every node gets (an auth backend, say). */
  extraConfig?: string;
  /**
   * Plugins every node enables (default: the consistent-hash exchange only). No plugin that wants a
   * port of its own (management, Prometheus): every node would take the same one.
   */
  plugins?: readonly string[];
  /** The environment rabbitmq-server and rabbitmqctl run in (PATH, HOME); the caller's entry point reads it. */
  baseEnv: NodeJS.ProcessEnv;
}

const PLUGINS = ['rabbitmq_consistent_hash_exchange'] as const;

export class RabbitCluster {
  readonly nodes: readonly ClusterNode[];

  constructor(private readonly options: RabbitClusterOptions) {
    const prefix = options.prefix ?? 'warren-cluster';
    this.nodes = options.ports.map((port, index) => {
      const dir = join(options.dir, `node-${index}`);
      return {
        index,
        name: `${prefix}-${port}@localhost`,
        port,
        distPort: options.distPorts?.[index] ?? (port + 20_000 <= 65_535 ? port + 20_000 : port - 20_000),
        url: `amqp://guest:guest@127.0.0.1:${port}`,
        dir,
        pidFile: join(dir, 'rabbitmq.pid'),
      };
    });
  }

  /** Every node's URL, in node order, as AMQP_URL takes them. */
  urls(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  /**
   * Writes each node's files and starts every node that does not already run (a second
   * `rabbitmq-server -detached` for a running name fails and deletes that node's pid file), then
   * waits until all of them are in the cluster.
   */
  async start(timeoutMs = 180_000): Promise<void> {
    mkdirSync(this.options.dir, { recursive: true });
    chmodSync(this.options.dir, 0o777);
    const running = runningNodeNames();
    const toStart = this.nodes.filter((node) => !running.includes(shortName(node)));
    for (const node of toStart) this.writeFiles(node);
    await Promise.all(toStart.map((node) => this.boot(node, timeoutMs)));
    await this.awaitOnline(this.nodes.length, timeoutMs);
  }

  /** Kills every node (SIGKILL) and removes their files. Never throws. */
  stop(): void {
    for (const node of this.nodes) killByPidFile(node.pidFile);
    rmSync(this.options.dir, { recursive: true, force: true });
  }

  /** `kill -9` of the node's Erlang VM: its connections drop, its queue replicas go with it. */
  killNode(index: number): void {
    const node = this.node(index);
    if (!killByPidFile(node.pidFile)) throw new Error(`node ${node.name} has no running process to kill`);
  }

  /** Stops the node in order (`rabbitmqctl stop`): connections closed by the broker, leaders handed over. */
  async stopNode(index: number, timeoutMs = 60_000): Promise<void> {
    const node = this.node(index);
    await this.ctl(node, ['stop', node.pidFile], timeoutMs);
  }

  /** Starts a stopped or killed node again on its data and waits until the whole cluster is online. */
  async restartNode(index: number, timeoutMs = 120_000): Promise<void> {
    const node = this.node(index);
    if (runningNodeNames().includes(shortName(node))) throw new Error(`node ${node.name} still runs; kill or stop it first`);
    await this.boot(node, timeoutMs);
    await this.awaitOnline(this.nodes.length, timeoutMs, node);
  }

  /** Which node leads a quorum queue now (its index), from the first node that answers. */
  async leaderOf(queue: string, vhost = '/'): Promise<number> {
    const leader = await this.firstAnswer(async (node) => {
      const out = await this.ctl(node, ['list_queues', '-p', vhost, 'name', 'leader', '--formatter', 'json', '--quiet'], 15_000);
      const rows = JSON.parse(out) as { name: string; leader?: string }[];
      return rows.find((row) => row.name === queue)?.leader;
    });
    const index = this.nodes.findIndex((node) => node.name === leader);
    if (index < 0) throw new Error(`no leader known for queue ${queue} (got ${String(leader)})`);
    return index;
  }

  /** The node whose AMQP port a connection came through (by the `broker` of its connected status). */
  indexOfUrl(url: string): number {
    const port = Number(new URL(url).port);
    return this.nodes.findIndex((node) => node.port === port);
  }

  /** rabbitmqctl against one node. */
  ctl(node: ClusterNode, args: string[], timeoutMs = 30_000): Promise<string> {
    return run('rabbitmqctl', ['-n', node.name, ...args], nodeEnv(node, this.options.baseEnv), node.dir, timeoutMs);
  }

  /** Whether every node's process is alive (by its pid file). */
  nodeAlive(index: number): boolean {
    return pidAlive(readPid(this.node(index).pidFile));
  }

  private node(index: number): ClusterNode {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index} (the cluster has ${this.nodes.length})`);
    return node;
  }

  private writeFiles(node: ClusterNode): void {
    mkdirSync(node.dir, { recursive: true });
    chmodSync(node.dir, 0o777);
    const peers = this.nodes.map((peer, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${peer.name}`);
    const config = [
      `listeners.tcp.local = 127.0.0.1:${node.port}`,
      // guest may connect over loopback only; every client here is on loopback anyway.
      'loopback_users = none',
      'cluster_formation.peer_discovery_backend = classic_config',
      ...peers,
      this.options.extraConfig ?? '',
    ].join('\n');
    writeFileSync(join(node.dir, 'rabbitmq.conf'), `${config}\n`, { mode: 0o644 });
    writeFileSync(join(node.dir, 'enabled_plugins'), `[${(this.options.plugins ?? PLUGINS).join(',')}].\n`, { mode: 0o644 });
  }

  private async boot(node: ClusterNode, timeoutMs: number): Promise<void> {
    rmSync(node.pidFile, { force: true });
    await run('rabbitmq-server', ['-detached'], nodeEnv(node, this.options.baseEnv), node.dir, 60_000);
    // `wait` follows the pid file, then the Erlang distribution, then the applications.
    await this.ctl(node, ['wait', node.pidFile, '--timeout', String(Math.round(timeoutMs / 1000))], timeoutMs + 10_000);
  }

  private async awaitOnline(count: number, timeoutMs: number, via?: ClusterNode): Promise<void> {
    const node = via ?? this.nodes.find((candidate) => pidAlive(readPid(candidate.pidFile))) ?? this.node(0);
    await this.ctl(node, ['await_online_nodes', String(count), '--timeout', String(Math.round(timeoutMs / 1000))], timeoutMs + 10_000);
  }

  private async firstAnswer<T>(ask: (node: ClusterNode) => Promise<T | undefined>): Promise<T | undefined> {
    let lastError: unknown;
    for (const node of this.nodes) {
      if (!pidAlive(readPid(node.pidFile))) continue;
      try {
        return await ask(node);
      } catch (err) {
        lastError = err;
      }
    }
    if (lastError) throw lastError;
    return undefined;
  }
}

function shortName(node: ClusterNode): string {
  return node.name.split('@')[0] ?? node.name;
}

function nodeEnv(node: ClusterNode, baseEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...baseEnv,
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(node.port),
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_MNESIA_BASE: join(node.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(node.dir, 'log'),
    RABBITMQ_PID_FILE: node.pidFile,
    // Our own config and plugin list: the system ones name the shared node's ports.
    RABBITMQ_CONFIG_FILE: join(node.dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(node.dir, 'enabled_plugins'),
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, cwd, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

/** Node names epmd knows on this machine (running nodes); empty when epmd is not there. */
export function runningNodeNames(): string[] {
  try {
    const out = execFileSync('epmd', ['-names'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return [...out.matchAll(/^name (\S+) at port/gm)].map((match) => match[1] ?? '');
  } catch {
    return [];
  }
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL to the pid in the file; whether there was a live process to kill. */
function killByPidFile(pidFile: string): boolean {
  const pid = readPid(pidFile);
  if (!pidAlive(pid) || pid === undefined) return false;
  process.kill(pid, 'SIGKILL');
  return true;
}

/** A TCP port nobody listens on right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A cluster of `size` nodes on free loopback ports (AMQP and distribution), files under `dir`. */
export async function clusterOnFreePorts(options: {
  dir: string;
  baseEnv: NodeJS.ProcessEnv;
  size?: number;
  prefix?: string;
  extraConfig?: string;
  plugins?: readonly string[];
}): Promise<RabbitCluster> {
  const taken = new Set<number>();
  const pick = async (): Promise<number> => {
    for (;;) {
      const port = await freeLoopbackPort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const size = options.size ?? 3;
  const ports: number[] = [];
  const distPorts: number[] = [];
  for (let i = 0; i < size; i += 1) ports.push(await pick());
  for (let i = 0; i < size; i += 1) distPorts.push(await pick());
  return new RabbitCluster({
    dir: options.dir,
    baseEnv: options.baseEnv,
    ports,
    distPorts,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    ...(options.extraConfig ? { extraConfig: options.extraConfig } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
}
