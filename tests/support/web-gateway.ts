import { join } from 'node:path';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { silentLogger } from '../../server/logger.js';
import { brokerReachable } from '../../server/web/broker-reachable.js';
import { WebGateway, type WebGatewayOptions } from '../../server/web/gateway.js';
import { loadStaticFiles } from '../../server/web/static-files.js';
import { OPEN_MODE, amqpUrl } from './broker.js';
import { ROOT } from './programs.js';

export interface RunningGateway {
  gateway: WebGateway;
  port: number;
  httpUrl: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/** The web gateway in this process, on a free port, serving the built page (npm run build) to a coordinator's namespace in open mode. */
export async function startGateway(namespace: string, overrides: Partial<WebGatewayOptions> = {}): Promise<RunningGateway> {
  const gateway = new WebGateway({
    host: '127.0.0.1',
    port: 0,
    files: loadStaticFiles(join(ROOT, 'dist', 'web')),
    createClient: () => new WarrenClient({ amqpUrl: amqpUrl(), namespace, security: OPEN_MODE, requestTimeoutMs: 5000 }),
    maxSessions: 100,
    resumeGraceMs: 10_000,
    replayFrames: 2000,
    allowedOrigins: [],
    brokerReachable: () => brokerReachable(amqpUrl()),
    logger: silentLogger,
    ...overrides,
  });
  const port = await gateway.start();
  return { gateway, port, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, stop: () => gateway.stop() };
}
