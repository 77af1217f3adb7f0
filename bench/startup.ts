import { existsSync } from 'node:fs';
import { WarrenClient } from '../client/lib/warren-client.js';
import { benchNamespace, deleteNamespace } from './namespace.js';
import { CLIENT_MAIN, startCoordinator, startProgram } from './programs.js';
import { round, summarise, type Summary } from './stats.js';

/** What the client program prints once logged in and ready for input (client/ui/format.ts, welcome). */
export const PROMPT_MARKER = 'Welcome to warren';
/** The name prompt of the terminal client (client/ui/name-prompt.ts). */
export const NAME_PROMPT_MARKER = 'Choose a user name';
/** What the name prompt should take at most (issue 11), from spawn to the prompt on the terminal. */
export const NAME_PROMPT_TARGET_MS = 500;

/**
 * Start-up times, each over several starts: the coordinator from spawn to "coordinator ready"
 * (fresh namespace and store each time), the client program from spawn to its welcome with
 * stdin a pipe (script mode, the same connect and login as the terminal UI), the client program
 * in a pseudo-terminal from spawn to its name prompt (what `docker exec … warren` shows first), the
 * client library's connect and login alone, and a bare `node` for the share of start-up that is
 * Node itself.
 */
export interface StartupResult {
  runs: number;
  nodeBareMs: Summary;
  coordinatorReadyMs: Summary;
  /** null when dist/client/main.js does not exist. */
  clientProgramMs: Summary | null;
  clientProgramNote: string;
  /** null when node-pty (a dev dependency) or dist/client/main.js is missing. */
  clientPromptMs: Summary | null;
  clientPromptNote: string;
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

/** Spawn of the client program in a pseudo-terminal (as `docker exec -it … warren` runs it) to its name prompt. */
async function timeToNamePrompt(amqpUrl: string, namespace: string, extraEnv: Record<string, string>): Promise<number> {
  const { spawn } = await import('node-pty');
  const began = performance.now();
  const terminal = spawn(process.execPath, [CLIENT_MAIN], {
    name: 'xterm-256color',
    cols: 100,
    rows: 30,
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', AMQP_URL: amqpUrl, WARREN_NAMESPACE: namespace, ...extraEnv },
  });
  const exited = new Promise<void>((resolve) => terminal.onExit(() => resolve()));
  let seen = '';
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no name prompt within 30 s; output: ${JSON.stringify(seen.slice(-200))}`)), 30_000);
      terminal.onData((data) => {
        seen += data;
        if (!seen.includes(NAME_PROMPT_MARKER)) return;
        clearTimeout(timer);
        resolve(performance.now() - began);
      });
    });
  } finally {
    terminal.kill('SIGKILL');
    await exited;
  }
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
  const namePrompt: number[] = [];
  let promptNote = `spawn of node dist/client/main.js in a pseudo-terminal to "${NAME_PROMPT_MARKER}" on the screen`;
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
        try {
          namePrompt.push(await timeToNamePrompt(options.amqpUrl, namespace, clientEnv));
        } catch (err) {
          promptNote = `not measured: ${err instanceof Error ? err.message : String(err)}`;
        }
      } else {
        note = 'dist/client/main.js does not exist: client program not measured';
        promptNote = note;
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
    clientPromptMs: namePrompt.length > 0 ? summarise(namePrompt.map(round)) : null,
    clientPromptNote: promptNote,
    libraryConnectLoginMs: summarise(library.map(round)),
  };
}
