import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './programs.js';

/**
 * A Docker engine for the docker tier (tests/docker), found the way a person's machine has one,
 * and compose projects run with the README's own commands, each under a name of its own and always
 * removed (`down -v`) at the end, even when a test fails or the process is interrupted.
 */
const run = promisify(execFile);

/** This machine's extras (../shared/docker-local): a registry-less engine started by setup.sh. */
export const LOCAL_OVERRIDE = resolve(ROOT, '..', 'shared', 'docker-local', 'docker-compose.local.yml');

export type DockerFound = { ok: true; compose: string[]; composeFiles: string[]; engine: string; note: string } | { ok: false; reason: string };

/** `docker-compose` (v1, Debian's) or `docker compose` (v2), whichever answers. */
export async function findCompose(): Promise<string[] | undefined> {
  for (const candidate of [['docker-compose'], ['docker', 'compose']]) {
    try {
      await run(candidate[0]!, [...candidate.slice(1), 'version'], { timeout: 30_000 });
      return candidate;
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}

/** The local engine's process, from its pid file or by name; undefined for a remote one. */
function dockerdPid(): number | undefined {
  const dock = process.env.DOCK ?? join(process.env.TMPDIR ?? '/tmp', 'warren-docker');
  for (const file of [join(dock, 'dockerd.pid'), '/run/docker.pid', '/var/run/docker.pid']) {
    const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
    if (Number.isInteger(pid) && existsSync(`/proc/${pid}/cmdline`)) return pid;
  }
  for (const entry of existsSync('/proc') ? readdirSync('/proc') : []) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'dockerd') return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

/**
 * Why this machine needs ../shared/docker-local/docker-compose.local.yml, or undefined if it does
 * not: an engine without NAT (builds cannot reach the mirrors), or an open-files limit below the
 * 65536 the compose file gives RabbitMQ.
 */
function localNeeds(): string | undefined {
  const pid = dockerdPid();
  const cmdline = pid === undefined ? '' : readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  if (/--iptables=false/.test(cmdline)) return 'dockerd runs without iptables (no NAT for builds)';
  const limits = pid === undefined ? '/proc/self/limits' : `/proc/${pid}/limits`;
  const hard = existsSync(limits) ? /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync(limits, 'utf8'))?.[1] : undefined;
  if (hard !== undefined && hard !== 'unlimited' && Number(hard) < 65536) return `the open-files hard limit is ${hard}, below 65536`;
  return undefined;
}

export async function findDocker(): Promise<DockerFound> {
  const compose = await findCompose();
  if (!compose) return { ok: false, reason: 'neither `docker-compose` nor `docker compose` is installed' };
  let engine: string;
  try {
    engine = (await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 30_000 })).stdout.trim();
  } catch (err) {
    const text = err instanceof Error ? err.message.split('\n').find((line) => /daemon|docker/i.test(line)) ?? err.message : String(err);
    return { ok: false, reason: `no Docker engine answers (${text.trim()}); on this project's machines: ../shared/docker-local/setup.sh` };
  }
  const need = localNeeds();
  if (need === undefined) return { ok: true, compose, composeFiles: ['docker-compose.yml'], engine, note: 'no local override needed' };
  if (!existsSync(LOCAL_OVERRIDE)) return { ok: false, reason: `this engine needs ../shared/docker-local/docker-compose.local.yml (${need}), which is absent` };
  return { ok: true, compose, composeFiles: ['docker-compose.yml', relative(ROOT, LOCAL_OVERRIDE)], engine, note: `with ${relative(ROOT, LOCAL_OVERRIDE)} (${need})` };
}

/** A TCP port nothing listens on now, on 127.0.0.1 (where compose publishes). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * One compose project. COMPOSE_PROJECT_NAME and COMPOSE_FILE carry the project's name and this
 * machine's override, so the commands themselves are the README's, word for word.
 */
export class ComposeProject {
  readonly env: Record<string, string>;
  private watchdog: ChildProcess | undefined;

  constructor(
    readonly compose: string[],
    readonly name: string,
    readonly composeFiles: string[],
    settings: Record<string, string>,
  ) {
    const passed = Object.fromEntries(Object.entries(process.env).filter(([key]) => /^(PATH|HOME|DOCKER_\w+|TMPDIR)$/.test(key))) as Record<string, string>;
    this.env = { ...passed, COMPOSE_PROJECT_NAME: name, COMPOSE_FILE: composeFiles.join(':'), ...settings };
  }

  /**
   * `down -v` even if the test process dies before afterAll (a crash, a kill, Ctrl+C): a detached
   * shell waits for this process to end and then takes the project down, unless down() ran first.
   * (A process 'exit' listener would not do: Jest gives each test file a copy of `process`.)
   */
  armCleanup(): void {
    const down = [...this.compose, 'down', '-v', '--remove-orphans', '--timeout', '5'].map((word) => `'${word}'`).join(' ');
    this.watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 2; done; exec ${down}`], { cwd: ROOT, env: this.env, detached: true, stdio: 'ignore' });
    this.watchdog.unref();
  }

  /** Runs `docker-compose ARGS` (or `docker compose`) in the repository; rejects with its output on failure. */
  async run(args: string[], timeoutMs = 120_000): Promise<string> {
    const { stdout, stderr } = await run(this.compose[0]!, [...this.compose.slice(1), ...args], { cwd: ROOT, env: this.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${this.compose.join(' ')} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    return `${stdout}${stderr}`;
  }

  async logs(service: string): Promise<string> {
    return this.run(['logs', '--no-color', service], 60_000);
  }

  /** The container of a service's instance number `index`, by compose's own labels. */
  async container(service: string, index: number): Promise<string> {
    const { stdout } = await run('docker', ['ps', '--filter', `label=com.docker.compose.project=${this.name}`, '--filter', `label=com.docker.compose.service=${service}`, '--filter', `label=com.docker.compose.container-number=${index}`, '--format', '{{.Names}}'], { env: this.env });
    const name = stdout.trim().split('\n')[0];
    if (!name) throw new Error(`no container ${service} #${index} in ${this.name}`);
    return name;
  }

  async health(service: string): Promise<string> {
    const id = (await this.run(['ps', '-q', service], 30_000)).trim().split('\n')[0] ?? '';
    if (!id) return 'absent';
    const { stdout } = await run('docker', ['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}', id], { env: this.env }).catch(() => ({ stdout: 'unknown' }));
    return stdout.trim();
  }

  async down(): Promise<void> {
    await this.run(['down', '-v', '--remove-orphans', '--timeout', '20'], 180_000);
    this.disarm();
  }

  /** What is left of the project: containers, volumes and networks with its label. */
  async leftovers(): Promise<string[]> {
    const label = `label=com.docker.compose.project=${this.name}`;
    const lists = await Promise.all([
      run('docker', ['ps', '-aq', '--filter', label], { env: this.env }),
      run('docker', ['volume', 'ls', '-q', '--filter', label], { env: this.env }),
      run('docker', ['network', 'ls', '-q', '--filter', label], { env: this.env }),
    ]);
    return lists.flatMap(({ stdout }) => stdout.split('\n').filter(Boolean));
  }

  private disarm(): void {
    if (this.watchdog?.pid !== undefined && this.watchdog.exitCode === null) {
      try {
        process.kill(this.watchdog.pid, 'SIGTERM');
      } catch {
        /* it has ended */
      }
    }
    this.watchdog = undefined;
  }
}
