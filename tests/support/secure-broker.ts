import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rewriteBrokerConfig } from '../../server/broker/broker-config.js';
import { freePort, PrivateBroker } from './private-broker.js';

const REPO = join(import.meta.dirname, '..', '..');

/**
 * A private RabbitMQ node configured from the repository's broker/rabbitmq.conf and
 * broker/enabled_plugins (the deployment's own files), on free loopback ports, asking the
 * authority at 127.0.0.1:`authorityPort`. The node is killed when the test process exits, even
 * without `stop` (a failed `beforeAll`, an interrupted run).
 */
export class SecureBroker {
  private stopped = false;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.node.killAndRemove();
    // Give the signal its default meaning back and deliver it again.
    process.removeListener(signal, this.onSignal);
    process.kill(process.pid, signal);
  };

  private constructor(readonly node: PrivateBroker, readonly authorityPort: number, readonly managementPort: number) {}

  /** Boots the node (about 5–10 s on a loaded machine). The authority may start before or after. */
  static async start(options: { authorityPort?: number } = {}): Promise<SecureBroker> {
    const authorityPort = options.authorityPort ?? (await freePort());
    const amqpPort = await freePort();
    const managementPort = await freePort();
    const prometheusPort = await freePort();
    const config = rewriteBrokerConfig(readFileSync(join(REPO, 'broker', 'rabbitmq.conf'), 'utf8'), {
      host: '127.0.0.1',
      amqpPort,
      managementPort,
      prometheusPort,
      authorityOrigin: `http://127.0.0.1:${authorityPort}`,
      definitionsFile: join(REPO, 'broker', 'definitions.json'),
    });
    const plugins = readFileSync(join(REPO, 'broker', 'enabled_plugins'), 'utf8');
    const node = await PrivateBroker.create({ port: amqpPort, config, plugins, nodePrefix: 'warren-secure' });
    const broker = new SecureBroker(node, authorityPort, managementPort);
    process.once('SIGINT', broker.onSignal);
    process.once('SIGTERM', broker.onSignal);
    try {
      await node.start();
    } catch (err) {
      await broker.stop();
      throw new Error(`the secure broker did not start: ${err instanceof Error ? err.message : String(err)}\n${node.logTail()}`);
    }
    return broker;
  }

  get port(): number {
    return this.node.port;
  }

  /** The node's URL without credentials (amqpUrlWithCredentials adds them). */
  get baseUrl(): string {
    return `amqp://127.0.0.1:${this.node.port}`;
  }

  /** Stops the node and removes its data. Idempotent; never throws. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    await this.node.destroy();
  }
}
