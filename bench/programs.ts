import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NodeOrder } from '../shared/broker-urls.js';

/** dist/bench/programs.js → the repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SERVER_MAIN = join(ROOT, 'dist', 'server', 'main.js');
export const CLIENT_MAIN = join(ROOT, 'dist', 'client', 'main.js');
export const RELAY_MAIN = join(ROOT, 'dist', 'bench', 'ceiling-relay.js');
export const ROOM_MEMBERS_MAIN = join(ROOT, 'dist', 'bench', 'room-members.js');
export const BATCHED_RELAY_MAIN = join(ROOT, 'dist', 'bench', 'batched-relay.js');

/** Keeps only the tail of a stream: children may log a lot over a long run. */
const KEEP_CHARS = 64 * 1024;

export interface ChildProgram {
  child: ChildProcess;
  pid: number;
  /** performance.now() just before spawning. */
  spawnedAt: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | string>;
  /** Resolves with performance.now() when `text` first appears on the stream, rejects on exit or timeout. */
  waitFor(stream: 'stdout' | 'stderr', text: string, timeoutMs: number): Promise<number>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

/** Children still running: killed at once if the benchmark itself is stopped (killAllPrograms). */
const running = new Set<ChildProcess>();

/** Another child of the benchmark (bench/room-members.ts processes), stopped by killAllPrograms too. */
export function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** Temporary folders of coordinators not shut down yet. */
const tempDirs = new Set<string>();

/**
 * For exit and signal handlers: SIGTERM to every child program still running (each stops by
 * itself on it), and the coordinators' temporary folders removed.
 */
export function killAllPrograms(): void {
  for (const child of running) child.kill('SIGTERM');
  running.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function startProgram(script: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): ChildProgram {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; text: string; resolve(at: number): void }[] = [];
  const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const at = performance.now();
    text[stream] = (text[stream] + chunk.toString('utf8')).slice(-KEEP_CHARS);
    for (const waiter of [...waiters]) {
      if (waiter.stream === stream && text[stream].includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(at);
      }
    }
  };
  child.stdout?.on('data', onData('stdout'));
  child.stderr?.on('data', onData('stderr'));
  child.stdin?.on('error', () => undefined);
  running.add(child);
  const exited = new Promise<number | string>((resolveExit) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolveExit(code ?? signal ?? -1);
    }),
  );

  const waitFor = (stream: 'stdout' | 'stderr', wanted: string, timeoutMs: number): Promise<number> =>
    new Promise<number>((resolveWait, reject) => {
      if (text[stream].includes(wanted)) {
        resolveWait(performance.now());
        return;
      }
      const timer = setTimeout(() => reject(new Error(`no "${wanted}" from ${script} within ${timeoutMs} ms; stderr: ${text.stderr.slice(-2000)}`)), timeoutMs);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${code}) before "${wanted}"; stderr: ${text.stderr.slice(-2000)}`));
      });
      waiters.push({
        stream,
        text: wanted,
        resolve: (at) => {
          clearTimeout(timer);
          resolveWait(at);
        },
      });
    });

  const stop = async (graceMs = 10_000): Promise<number | string> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(killer);
      return code;
    }
    return exited;
  };

  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  return { child, pid: child.pid, spawnedAt, stdout: () => text.stdout, stderr: () => text.stderr, exited, waitFor, stop };
}

export interface CoordinatorChild extends ChildProgram {
  namespace: string;
  env: Record<string, string>;
  /** Spawn to "coordinator ready" on stderr. */
  readyMs: number;
  /** Stops the program and removes its temp directory; the profile (if any) is in profileDir. */
  shutdown(): Promise<void>;
}

/**
 * The real coordinator program, with its own namespace and temp data and log directories (the
 * real SQLite store and chat.log). With `profileDir`, it runs under `node --cpu-prof`.
 */
export async function startCoordinator(options: {
  amqpUrl: string;
  /** WARREN_AMQP_NODE_ORDER; the program's default (spread) when absent. */
  amqpNodeOrder?: NodeOrder;
  namespace: string;
  prefetch: number;
  profileDir?: string;
  /** Another build of the coordinator program; dist/server/main.js by default. */
  serverMain?: string;
  /** Secure mode against a secure node whose broker asks the authority on this port; open mode (plain broker) otherwise. */
  authorityPort?: number;
  /** TCP_NODELAY on its broker socket (WARREN_AMQP_NO_DELAY); the program's default (true) when absent. */
  noDelay?: boolean;
  /** WARREN_SESSION_TIMEOUT in seconds; the program's default when absent. */
  sessionTimeoutSeconds?: number;
}): Promise<CoordinatorChild> {
  const main = options.serverMain ?? SERVER_MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-'));
  tempDirs.add(dir);
  const env = {
    AMQP_URL: options.amqpUrl,
    WARREN_NAMESPACE: options.namespace,
    WARREN_DATA_DIR: join(dir, 'data'),
    WARREN_LOG_DIR: join(dir, 'log'),
    WARREN_PREFETCH: String(options.prefetch),
    ...(options.amqpNodeOrder === undefined ? {} : { WARREN_AMQP_NODE_ORDER: options.amqpNodeOrder }),
    ...(options.noDelay === undefined ? {} : { WARREN_AMQP_NO_DELAY: String(options.noDelay) }),
    ...(options.sessionTimeoutSeconds === undefined ? {} : { WARREN_SESSION_TIMEOUT: String(options.sessionTimeoutSeconds) }),
    // The chat is visible from the first user on; the benchmark measures traffic, not the threshold.
    MIN_USERS: '1',
    ...(options.authorityPort === undefined ? { WARREN_INSECURE_OPEN_BROKER: '1' } : { WARREN_AUTHORITY_PORT: String(options.authorityPort) }),
    // Load generators send far faster than a person: the per-user limits would measure themselves.
    WARREN_RATE_MESSAGES: 'off',
    WARREN_RATE_ROOMS: 'off',
    WARREN_RATE_LOGINS_PER_NAME: 'off',
    WARREN_RATE_LOGINS_PER_CLIENT: 'off',
    WARREN_RATE_PASSWORD_CHECKS: 'off',
    // Metrics on, as deployed, on any free port (several coordinators at once, other runs beside);
    // WARREN_METRICS_PORT=off in the bench's environment measures the coordinator without them.
    WARREN_METRICS_PORT: process.env.WARREN_METRICS_PORT ?? '0',
    // The group commit's window as the bench's environment sets it (to compare values); else the program's default.
    ...(process.env.WARREN_COMMIT_WINDOW_MS === undefined ? {} : { WARREN_COMMIT_WINDOW_MS: process.env.WARREN_COMMIT_WINDOW_MS }),
  };
  const nodeArgs = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const program = startProgram(main, [], env, nodeArgs);
  let readyAt: number;
  try {
    readyAt = await program.waitFor('stderr', 'coordinator ready', 30_000);
  } catch (err) {
    await program.stop(1000);
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
    throw err;
  }
  return {
    ...program,
    namespace: options.namespace,
    env,
    readyMs: readyAt - program.spawnedAt,
    shutdown: async () => {
      await program.stop();
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

/** One of the bench's own relay programs (the ceiling: per message, or batched per turn), in its namespace. */
export async function startRelay(options: { amqpUrl: string; namespace: string; prefetch: number; batched?: boolean; noDelay?: boolean }): Promise<ChildProgram & { readyMs: number }> {
  const main = options.batched ? BATCHED_RELAY_MAIN : RELAY_MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const args = ['--namespace', options.namespace, '--prefetch', String(options.prefetch), '--tcp-no-delay', String(options.noDelay ?? true)];
  const program = startProgram(main, args, { AMQP_URL: options.amqpUrl });
  try {
    const readyAt = await program.waitFor('stderr', 'relay ready', 30_000);
    return { ...program, readyMs: readyAt - program.spawnedAt };
  } catch (err) {
    await program.stop(1000);
    throw err;
  }
}
