import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OPEN_MODE_ENV, amqpUrl, deleteNamespace, uniqueNamespace } from './broker.js';
import { waitFor } from './wait.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SERVER_MAIN = join(ROOT, 'dist', 'server', 'main.js');
export const CLIENT_MAIN = join(ROOT, 'dist', 'client', 'main.js');

export interface Program {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

export function runProgram(script: string, args: string[], env: Record<string, string>): Program {
  const child = spawn(process.execPath, [script, ...args], {
    // The shared test broker is a plain one: programs run in open mode unless a test says otherwise.
    // A coordinator's metrics endpoint takes any free port: several run at once, beside other runs.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...OPEN_MODE_ENV, WARREN_METRICS_PORT: '0', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolveExit) => child.on('exit', (code, signal) => resolveExit(code ?? signal ?? -1)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export interface CoordinatorProcess extends Program {
  namespace: string;
  env: Record<string, string>;
  logLines(): string[];
  stop(): Promise<void>;
}

/** The coordinator's per-user rate limits switched off: for tests and bursts that send faster than people. */
export const RATE_LIMITS_OFF = {
  WARREN_RATE_MESSAGES: 'off',
  WARREN_RATE_ROOMS: 'off',
  WARREN_RATE_LOGINS_PER_NAME: 'off',
  WARREN_RATE_LOGINS_PER_CLIENT: 'off',
  WARREN_RATE_PASSWORD_CHECKS: 'off',
} as const;

/** The real coordinator program, in its own namespace and temp dirs; resolves once it serves. */
export async function spawnCoordinator(extraEnv: Record<string, string> = {}): Promise<CoordinatorProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-e2e-'));
  const namespace = extraEnv.WARREN_NAMESPACE ?? uniqueNamespace('e2e');
  const env = {
    AMQP_URL: amqpUrl(),
    WARREN_NAMESPACE: namespace,
    WARREN_DATA_DIR: join(dir, 'data'),
    WARREN_LOG_DIR: join(dir, 'log'),
    // Scripted tests type faster than people; a test of the limits sets them in extraEnv.
    ...RATE_LIMITS_OFF,
    ...extraEnv,
  };
  const program = runProgram(SERVER_MAIN, [], env);
  await waitFor(() => program.stderr().includes('coordinator ready') || program.child.exitCode !== null, 'the coordinator to serve', 20_000);
  if (program.child.exitCode !== null) throw new Error(`coordinator exited: ${program.stderr()}`);
  const logPath = join(env.WARREN_LOG_DIR, 'chat.log');
  return {
    ...program,
    namespace,
    env,
    logLines: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean) : []),
    stop: async () => {
      if (program.child.exitCode === null) {
        program.child.kill('SIGTERM');
        await program.exited;
      }
      await deleteNamespace(namespace);
    },
  };
}

/** A client without a terminal: lines written to its stdin are what a person would type. */
export function spawnScriptedClient(coordinator: { env: Record<string, string> }, user: string, extraArgs: string[] = []): Program {
  return runProgram(CLIENT_MAIN, ['--user', user, ...extraArgs], {
    AMQP_URL: coordinator.env.AMQP_URL ?? amqpUrl(),
    WARREN_NAMESPACE: coordinator.env.WARREN_NAMESPACE ?? 'warren',
  });
}
