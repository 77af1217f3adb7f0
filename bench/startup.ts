import { existsSync } from 'node:fs';
import { WarrenClient } from '../client/lib/warren-client.js';
import { benchNamespace, deleteNamespace } from './namespace.js';
import { CLIENT_MAIN, startCoordinator, startProgram } from './programs.js';
import { round, summarise, type Summary } from './stats.js';

/** What the client program prints once logged in and ready for input (client/ui/format.ts, welcome). */
export const PROMPT_MARKER = 'Welcome to warren';

/**
 * Start-up times, each over several starts: the coordinator from spawn to "coordinator ready"
 * (fresh namespace and store each time), the client program from spawn to its welcome with
 * stdin a pipe (script mode, the same connect and login as the terminal UI), the client library's
 * connect and login alone, and a bare `node` for the share of start-up that is Node itself.
 */
export interface StartupResult {
  runs: number;
  nodeBareMs: Summary;
  coordinatorReadyMs: Summary;
  /** null when dist/client/main.js does not exist. */
  clientProgramMs: Summary | null;
  clientProgramNote: string;
  libraryConnectLoginMs: Summary;
}

export interface StartupOptions {
  amqpUrl: string;
  runs: number;
  prefetch: number;
  serverMain?: string;
  /** Secure mode: the node's broker asks the coordinator's authority on this port (bench --secure). */
  authorityPort?: number;
}

export async function runStartup(options: StartupOptions): Promise<StartupResult> {
  const secure = options.authorityPort !== undefined;
  const clientEnv: Record<string, string> = secure ? {} : { WARREN_INSECURE_OPEN_BROKER: '1' };
  const bare: number[] = [];
  for (let i = 0; i < options.runs; i += 1) {
    const program = startProgram('-e', ['0'], {});
    await program.exited;
    bare.push(performance.now() - program.spawnedAt);
  }

  const ready: number[] = [];
  const clientProgram: number[] = [];
  const library: number[] = [];
  let note = `spawn of node dist/client/main.js --user NAME (stdin a pipe) to "${PROMPT_MARKER}" on stdout`;
  for (let i = 0; i < options.runs; i += 1) {
    const namespace = benchNamespace('start');
    const coordinator = await startCoordinator({
      amqpUrl: options.amqpUrl,
      namespace,
      prefetch: options.prefetch,
      serverMain: options.serverMain,
      ...(secure ? { authorityPort: options.authorityPort } : {}),
    });
    ready.push(coordinator.readyMs);
    try {
      if (existsSync(CLIENT_MAIN)) {
        const client = startProgram(CLIENT_MAIN, ['--user', `start${i}`], { AMQP_URL: options.amqpUrl, WARREN_NAMESPACE: namespace, ...clientEnv });
        try {
          const at = await client.waitFor('stdout', PROMPT_MARKER, 30_000);
          clientProgram.push(at - client.spawnedAt);
        } finally {
          client.child.stdin?.end();
          await client.stop(10_000);
        }
      } else {
        note = 'dist/client/main.js does not exist: client program not measured';
      }
      const began = performance.now();
      const client = new WarrenClient({
        amqpUrl: options.amqpUrl,
        namespace,
        security: secure ? { mode: 'secure', coordinatorUser: 'warren-coordinator' } : { mode: 'open' },
        requestTimeoutMs: 30_000,
      });
      try {
        await client.connect();
        await client.login(`lib${i}`);
        library.push(performance.now() - began);
      } finally {
        await client.close();
      }
    } finally {
      await coordinator.shutdown();
      await deleteNamespace(options.amqpUrl, namespace).catch(() => undefined);
    }
  }
  return {
    runs: options.runs,
    nodeBareMs: summarise(bare.map(round)),
    coordinatorReadyMs: summarise(ready.map(round)),
    clientProgramMs: clientProgram.length > 0 ? summarise(clientProgram.map(round)) : null,
    clientProgramNote: note,
    libraryConnectLoginMs: summarise(library.map(round)),
  };
}
