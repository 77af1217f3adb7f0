import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A RabbitMQ node of the benchmark's own, on free loopback ports, with its data in a temporary
 * folder and a higher open-file limit than the shared broker's (`ulimit -n` in the shell that
 * starts it): the big room needs more connections than a broker with 1024 files allows. It is
 * stopped and its folder removed at the end; `killAllPrivateNodes` does it at once (exit, signals).
 */
export interface PrivateNode {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** Its data, configuration and log; removed when it stops. */
  readonly dir: string;
  /** The open-file limit the node's process got (null when /proc could not tell). */
  readonly openFiles: number | null;
  /** Spawn to accepting clients. */
  readonly startMs: number;
  /** The node's process (the Erlang VM), for its CPU time. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

interface Live {
  pidFile: string;
  dir: string;
}

const live = new Set<Live>();

export function privateNodeAvailable(): boolean {
  return ['rabbitmq-server', 'rabbitmqctl'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
}

/** Node names epmd knows on this machine (running nodes); empty when epmd is not there. */
function runningNodeNames(): string[] {
  try {
    const out = execFileSync('epmd', ['-names'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return [...out.matchAll(/^name (\S+) at port/gm)].map((match) => match[1] ?? '');
  } catch {
    return [];
  }
}

export async function startPrivateNode(options: { prefix: string; openFiles: number }): Promise<PrivateNode> {
  if (!privateNodeAvailable()) throw new Error('rabbitmq-server and rabbitmqctl are not on the PATH: the big room needs a private RabbitMQ node');
  const port = await freePort();
  let distPort = await freePort();
  while (distPort === port) distPort = await freePort();
  const shortName = `${options.prefix}-${port}`;
  const name = `${shortName}@localhost`;
  if (runningNodeNames().includes(shortName)) throw new Error(`a RabbitMQ node named ${name} already runs; not starting another`);
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-node-'));
  // Started as root, rabbitmq-server re-runs itself as the rabbitmq user, which must write here.
  chmodSync(dir, 0o777);
  const configFile = join(dir, 'rabbitmq.conf');
  writeFileSync(configFile, `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users.guest = true\n`, { mode: 0o644 });
  const pluginsFile = join(dir, 'enabled_plugins');
  writeFileSync(pluginsFile, '[].\n', { mode: 0o644 });
  // Started as root, the server re-runs itself as the rabbitmq user through su, whose PAM session
  // sets the soft open-file limit back to 1024 (the hard one stays): the node's own environment
  // file, which its start script sources after su, raises it again.
  const envFile = join(dir, 'rabbitmq-env.conf');
  writeFileSync(envFile, `ulimit -S -n ${options.openFiles} 2>/dev/null || true\n`, { mode: 0o644 });
  const pidFile = join(dir, 'rabbitmq.pid');
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: pidFile,
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
    RABBITMQ_CONF_ENV_FILE: envFile,
  };
  const run = (command: string, args: string[], timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(command, args, { env, timeout: timeoutMs, cwd: dir }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr}${stdout}`));
        else resolve(stdout);
      });
    });
  const entry: Live = { pidFile, dir };
  live.add(entry);
  const began = performance.now();
  try {
    await run('sh', ['-c', `ulimit -n ${options.openFiles} && exec rabbitmq-server -detached`], 60_000);
    await run('rabbitmqctl', ['-n', name, 'wait', pidFile, '--timeout', '90'], 120_000);
  } catch (err) {
    killNow(entry);
    throw err;
  }
  const startMs = Math.round(performance.now() - began);
  const pid = readPid(pidFile);
  let stopped = false;
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    dir,
    openFiles: pid === undefined ? null : openFileLimit(pid),
    startMs,
    pid,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        await run('rabbitmqctl', ['-n', name, 'stop', pidFile], 60_000);
      } catch {
        /* killed below */
      }
      killNow(entry);
    },
  };
}

/** Kills every node still running by its pid and removes its folder: for exit and signal handlers, which cannot wait. */
export function killAllPrivateNodes(): void {
  for (const entry of [...live]) killNow(entry);
}

function killNow(entry: Live): void {
  const pid = readPid(entry.pidFile);
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  rmSync(entry.dir, { recursive: true, force: true });
  live.delete(entry);
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The soft "Max open files" of a process, from /proc/<pid>/limits. */
export function openFileLimit(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || !/^\d+$/.test(soft) ? null : Number(soft);
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
