import { join } from 'node:path';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { silentLogger } from '../../server/logger.js';
import { brokerReachable } from '../../server/web/broker-reachable.js';
import { WebGateway, type WebGatewayOptions } from '../../server/web/gateway.js';
import { loadStaticFiles } from '../../server/web/static-files.js';
import { OPEN_MODE, amqpUrl } from './broker.js';
import { freePort } from './private-broker.js';
import { ROOT, runProgram, type Program } from './programs.js';
import { waitFor } from './wait.js';

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

export const WEB_MAIN = join(ROOT, 'dist', 'server', 'web', 'main.js');

export interface WebProgram {
  program: Program;
  httpUrl: string;
  stop(): Promise<void>;
}

/** The real gateway program (dist/server/web/main.js) on a free port; resolves once it listens. */
export async function spawnWebProgram(env: Record<string, string>): Promise<WebProgram> {
  const port = await freePort();
  const program = runProgram(WEB_MAIN, [], { WARREN_WEB_HOST: '127.0.0.1', WARREN_WEB_PORT: String(port), ...env });
  await waitFor(() => program.stderr().includes('web gateway ready') || program.child.exitCode !== null, 'the web gateway to listen', 20_000);
  if (program.child.exitCode !== null) throw new Error(`the web gateway exited: ${program.stderr()}`);
  return {
    program,
    httpUrl: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (program.child.exitCode !== null) return;
      program.child.kill('SIGTERM');
      await program.exited;
    },
  };
}
