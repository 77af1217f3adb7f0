import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Coordinator, type CoordinatorOptions } from '../../server/coordinator.js';
import { LegacyBridge } from '../../server/legacy/bridge.js';
import { silentLogger } from '../../server/logger.js';
import type { CoordinatorMetrics } from '../../server/observability/coordinator-metrics.js';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { OPEN_MODE, amqpUrl, deleteNamespace, uniqueNamespace } from './broker.js';

export interface RunningCoordinator {
  coordinator: Coordinator;
  options: CoordinatorOptions;
  namespace: string;
  /** Lines of chat.log so far. */
  logLines(): string[];
  /** A connected (not yet logged in) client of this namespace; closed by `stop`. */
  client(): Promise<WarrenClient>;
  /** Stops clients, the coordinator, and removes the namespace from the broker. */
  stop(): Promise<void>;
}

/** `legacy`: also serve the Actividad 2 protocol, as `main.ts` does with WARREN_LEGACY; `metrics`: count into these. */
export type CoordinatorOverrides = Partial<CoordinatorOptions> & { legacy?: boolean; metrics?: CoordinatorMetrics };

export async function startCoordinator({ legacy = false, metrics, ...overrides }: CoordinatorOverrides = {}): Promise<RunningCoordinator> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-test-'));
  const namespace = overrides.namespace ?? uniqueNamespace();
  const options: CoordinatorOptions = {
    amqpUrl: amqpUrl(),
    security: OPEN_MODE,
    namespace,
    dataDir: join(dir, 'data'),
    logDir: join(dir, 'log'),
    sessionTimeoutMs: 15_000,
    historyOnJoin: 20,
    prefetch: 200,
    // Tests send fast on purpose; a test of the limits turns them on explicitly.
    rateRules: { message: null, roomCreate: null, loginByName: null, loginByClient: null, passwordChecks: null },
    // The cheapest scrypt the hash module accepts: tests check the logic, not the cost.
    scrypt: { logN: 10, r: 8, p: 1 },
    ...overrides,
  };
  const coordinator = new Coordinator(options, silentLogger, { ...(legacy ? { extension: new LegacyBridge() } : {}), ...(metrics ? { metrics } : {}) });
  await coordinator.start();
  const clients: WarrenClient[] = [];
  return {
    coordinator,
    options,
    namespace,
    logLines: () => {
      const path = join(options.logDir, 'chat.log');
      return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0) : [];
    },
    client: async () => {
      const client = new WarrenClient({ amqpUrl: options.amqpUrl, namespace, security: OPEN_MODE, requestTimeoutMs: 5000 });
      clients.push(client);
      await client.connect();
      return client;
    },
    stop: async () => {
      await Promise.all(clients.map((client) => client.close()));
      await coordinator.stop();
      await deleteNamespace(namespace);
    },
  };
}
