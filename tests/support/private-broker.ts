import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * A RabbitMQ node of the test's own, on free loopback ports, with its data in a temporary
 * directory: the fault tests stop and restart it and close its connections without touching the
 * machine's shared broker. It uses the same Erlang cookie as the user's (rabbitmqctl finds it the
 * same way), so the ordinary rabbitmqctl drives it with `-n <node>`.
 */
export class PrivateBroker {
  readonly nodeName: string;
  readonly url: string;
  private readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;
  private running = false;
  private readonly killOnExit = (): void => this.killNow();

  private constructor(readonly port: number, distPort: number, files: PrivateBrokerFiles = {}) {
    this.nodeName = `${files.nodePrefix ?? 'warren-fault'}-${randomBytes(4).toString('hex')}@localhost`;
    this.url = `amqp://guest:guest@127.0.0.1:${port}`;
    this.dir = mkdtempSync(join(tmpdir(), 'warren-broker-'));
    // The node may run as another user (the rabbitmq account when started by root).
    chmodSync(this.dir, 0o777);
    const configFile = join(this.dir, 'rabbitmq.conf');
    writeFileSync(configFile, files.config ?? `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users.guest = true\n`, { mode: 0o644 });
    const pluginsFile = join(this.dir, 'enabled_plugins');
    // Plugins must be listed before boot: enabling one later takes the node 13–15 s.
    writeFileSync(pluginsFile, files.plugins ?? '[].\n', { mode: 0o644 });
    this.env = {
      ...process.env,
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(this.dir, 'log'),
      RABBITMQ_PID_FILE: this.pidFile,
      // Our own config and plugin list: the system ones name the shared node's ports.
      RABBITMQ_CONFIG_FILE: configFile,
      RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
    };
  }

  /** Whether this machine can run a private node at all. */
  static available(): boolean {
    return ['rabbitmq-server', 'rabbitmqctl'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
  }

  /** Picks free ports; the node is not started yet (`url` refuses connections until `start`). */
  static async create(files: PrivateBrokerFiles = {}): Promise<PrivateBroker> {
    const port = files.port ?? (await freePort());
    let distPort = await freePort();
    while (distPort === port) distPort = await freePort();
    return new PrivateBroker(port, distPort, files);
  }

  private get pidFile(): string {
    return join(this.dir, 'rabbitmq.pid');
  }

  /** Starts the node (keeping the data of an earlier run) and resolves once it accepts clients. */
  async start(): Promise<void> {
    rmSync(this.pidFile, { force: true });
    process.once('exit', this.killOnExit);
    this.running = true;
    await this.run('rabbitmq-server', ['-detached']);
    // `wait` follows the pid file, then the Erlang distribution, then the applications.
    await this.ctl(['wait', this.pidFile, '--timeout', '90'], 120_000);
  }

  /** Stops the node and waits until its process is gone; the data stays for the next `start`. */
  async stop(): Promise<void> {
    if (!this.running) return;
    await this.ctl(['stop', this.pidFile], 60_000);
    this.running = false;
    process.removeListener('exit', this.killOnExit);
  }

  /** Stops the node if it runs and removes its directory. Never throws: it runs in `afterAll`. */
  async destroy(): Promise<void> {
    try {
      await this.stop();
    } catch {
      this.killNow();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** rabbitmqctl against this node. */
  ctl(args: string[], timeoutMs = 30_000): Promise<string> {
    return this.run('rabbitmqctl', ['-n', this.nodeName, ...args], timeoutMs);
  }

  /** The broker-side ids of the connections whose client named itself `connectionName`. */
  async connectionPids(connectionName: string): Promise<string[]> {
    // One line per connection: the pid (`<node.1.2.3>`, the form close_connection takes), a tab, the properties.
    const out = await this.ctl(['list_connections', 'pid', 'client_properties', '--no-table-headers', '--quiet']);
    return out
      .split('\n')
      .filter((line) => line.includes(JSON.stringify(connectionName)))
      .map((line) => line.split('\t')[0] ?? '')
      .filter((pid) => pid.startsWith('<'));
  }

  /** Closes a client's connection from the broker's side, as an operator would. */
  async closeConnection(connectionName: string, reason: string): Promise<number> {
    const pids = await this.connectionPids(connectionName);
    for (const pid of pids) await this.ctl(['close_connection', pid, reason]);
    return pids.length;
  }

  /** The node's own log, for failure messages. */
  logTail(lines = 40): string {
    const path = join(this.dir, 'log', `${this.nodeName}.log`);
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)';
  }

  /** Kills the node at once by its pid (a signal handler cannot wait for `destroy`). */
  killAndRemove(): void {
    this.killNow();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last resort when the test process exits without `destroy`: kill the node by its pid. */
  private killNow(): void {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      /* not running */
    }
    this.running = false;
  }

  private run(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(command, args, { env: this.env, timeout: timeoutMs, cwd: this.dir }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr}\n${stdout}`));
        else resolve(stdout);
      });
    });
  }
}

/** A node of another configuration than the fault tests' plain one (tests/support/secure-broker.ts). */
export interface PrivateBrokerFiles {
  /** The AMQP port `config` names; picked free when absent. */
  port?: number;
  /** rabbitmq.conf text; it must listen on `port`. */
  config?: string;
  /** enabled_plugins text. */
  plugins?: string;
  /** Start of the node name, to tell nodes apart in `ps` and logs. */
  nodePrefix?: string;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
