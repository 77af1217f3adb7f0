import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { OPEN_MODE_ENV, amqpUrl, deleteNamespace, uniqueNamespace } from '../support/broker.js';
import { ROOT } from '../support/programs.js';
import { waitFor } from '../support/wait.js';
import { findCompose } from '../support/docker.js';

/**
 * The deployment files, checked without a Docker engine: `docker-compose config` must accept the
 * compose file, its shape must allow `--scale client=N`, and every command the containers run must
 * be the program of an npm script that exists and works the way the image runs it. The real run
 * (`up`, `exec`, `restart`, `down`) is tests/docker/compose-up.test.ts.
 */
const run = promisify(execFile);
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const DOCKERFILE = join(ROOT, 'Dockerfile');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const bin = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  container_name?: string;
  ports?: unknown[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  environment?: Record<string, string | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  tty?: boolean;
  stdin_open?: boolean;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The environment compose interpolates from: fixed, so the host's WARREN_* variables change nothing. */
const composeEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((entry) => [entry.split('=')[0]!, entry.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value ?? '']));
}

/** Volumes as {source, target}; v1 prints `src:dst:mode` strings, v2 objects, the file itself `src:dst`. */
function volumesOf(service: ComposeService): { source: string; target: string; named: boolean }[] {
  return (service.volumes ?? []).map((volume) => {
    const [source, target] = typeof volume === 'string' ? volume.split(':') : [volume.source ?? '', volume.target ?? ''];
    const named = !/^[./~]/.test(source ?? '');
    return { source: named ? source! : resolve(ROOT, source!), target: target!, named };
  });
}

/**
 * The npm script whose program a container command runs: containers start node directly (no npm
 * between tini and node, no npm output in the logs), on the program an npm script names.
 */
function scriptOf(command: string | string[]): { script?: string; problem?: string } {
  const words = Array.isArray(command) ? command : command.trim().split(/\s+/);
  if (words[0] !== 'node' || words.length !== 2) return { problem: `${JSON.stringify(command)} is not \`node PROGRAM\`` };
  const script = Object.keys(scripts).find((name) => /^(?:exec\s+)?node\s+(\S+)$/.exec(scripts[name] ?? '')?.[1] === words[1]);
  return script ? { script } : { problem: `${words[1]} is not the program of any npm script` };
}

/** Dockerfile instructions with their continuation lines joined. */
function dockerInstructions(): { keyword: string; args: string }[] {
  const joined = readFileSync(DOCKERFILE, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

function execForm(args: string): string | string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : args;
}

/** The instructions of the last stage: what the image runs with. */
function runtimeStage(): { keyword: string; args: string }[] {
  const all = dockerInstructions();
  const lastFrom = all.map((instruction) => instruction.keyword).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

function runtimeEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of runtimeStage().filter((instruction) => instruction.keyword === 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const [key, ...value] = pair.split('=');
      if (key && value.length > 0) env[key] = value.join('=');
    }
  }
  return env;
}

describe('docker-compose.yml', () => {
  let compose: string[] | undefined;
  let config: ComposeFile;

  beforeAll(async () => {
    compose = await findCompose();
    if (compose) {
      const { stdout } = await run(compose[0]!, [...compose.slice(1), '-f', COMPOSE_FILE, 'config'], { cwd: ROOT, env: composeEnv, timeout: 60_000 });
      config = parse(stdout) as ComposeFile;
    } else {
      // .ci/run sets WARREN_REQUIRE_COMPOSE once it has docker-compose: then its absence is a failure.
      if (process.env.WARREN_REQUIRE_COMPOSE === '1') throw new Error('docker-compose is required (WARREN_REQUIRE_COMPOSE=1) but neither `docker-compose` nor `docker compose` runs');
      process.stderr.write('SKIPPED: `docker-compose config` (neither docker-compose nor docker compose is installed); checking the raw file only\n');
      config = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
    }
  });

  it('has the services rabbitmq, server, client and web', () => {
    expect(Object.keys(config.services)).toEqual(expect.arrayContaining(['client', 'rabbitmq', 'server', 'web']));
  });

  it('publishes the web page on loopback only, on the port WARREN_WEB_PORT chooses', () => {
    const web = config.services.web!;
    expect(web.ports).toEqual([
      expect.stringMatching(/^127\.0\.0\.1:(\$\{WARREN_WEB_PORT:-8080\}|8080):8080(\/tcp)?$/),
      expect.stringMatching(/^127\.0\.0\.1:(\$\{WARREN_WEB_METRICS_PORT:-9465\}|9465):9465(\/tcp)?$/),
    ]);
  });

  it('gives RabbitMQ a health check and starts the coordinator only once it is healthy', () => {
    const rabbitmq = config.services.rabbitmq!;
    expect(rabbitmq.image).toMatch(/^rabbitmq:\d+\.\d+/);
    expect([rabbitmq.healthcheck?.test].flat().join(' ')).toMatch(/rabbitmq-diagnostics/);
    const dependsOn = config.services.server!.depends_on;
    expect(Array.isArray(dependsOn)).toBe(false);
    expect((dependsOn as Record<string, { condition?: string }>).rabbitmq?.condition).toBe('service_healthy');
  });

  it.each(['server', 'web'])("gives %s a health check on its /readyz, served on the container's interfaces and published on the host's loopback", (service) => {
    const server = config.services[service]!;
    const env = environmentOf(server);
    expect(env.WARREN_METRICS_HOST).toBe('0.0.0.0');
    const test = [server.healthcheck?.test].flat().join(' ');
    expect(test).toContain(`http://127.0.0.1:${env.WARREN_METRICS_PORT}/readyz`);
    expect(test).toMatch(/^CMD node -e /);
    const published = (server.ports ?? []).map((port) => JSON.stringify(port)).join(' ');
    expect(published).toContain('127.0.0.1');
    expect(published).toContain(String(env.WARREN_METRICS_PORT));
  });

  it("publishes the broker's Prometheus endpoint", () => {
    const broker = (config.services.rabbitmq!.ports ?? []).map((port) => JSON.stringify(port)).join(' ');
    expect(broker).toMatch(/15692/);
  });

  it('lets the client service scale: no fixed container name, no host ports, no tty of its own (exec brings one)', () => {
    const client = config.services.client!;
    expect(client.container_name).toBeUndefined();
    expect(client.ports ?? []).toEqual([]);
    // With tty: true, everything the standby prints reaches `docker-compose logs` as terminal output.
    expect(client.tty ?? false).toBe(false);
    expect(config.services.server!.container_name).toBeUndefined();
  });

  it('takes the published ports and the network name from .env, so every later `up` uses the same', () => {
    const dotenv = Object.fromEntries(
      readFileSync(join(ROOT, '.env'), 'utf8')
        .split('\n')
        .filter((line) => /^\w+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(dotenv).toMatchObject({ WARREN_AMQP_PORT: '5672', WARREN_MANAGEMENT_PORT: '15672', WARREN_SERVER_METRICS_PORT: '9464', WARREN_BROKER_METRICS_PORT: '15692', WARREN_WEB_PORT: '8080', WARREN_WEB_METRICS_PORT: '9465', WARREN_NETWORK: 'warren' });
    const raw = readFileSync(COMPOSE_FILE, 'utf8');
    for (const name of Object.keys(dotenv)) expect(raw).toContain(`\${${name}`);
    const ports = (config.services.rabbitmq!.ports ?? []).map((port) => JSON.stringify(port));
    expect(ports.join(' ')).toMatch(/5672/);
    if (compose) expect(ports.join(' ')).toMatch(/15672/);
  });

  it('mounts log/ from the host and keeps the data directory in a named volume', () => {
    const server = config.services.server!;
    const env = environmentOf(server);
    const volumes = volumesOf(server);
    expect(volumes).toContainEqual({ source: join(ROOT, 'log'), target: env.WARREN_LOG_DIR, named: false });
    const data = volumes.find((volume) => volume.target === env.WARREN_DATA_DIR);
    expect(data?.named).toBe(true);
    expect(Object.keys(config.volumes ?? {})).toContain(data?.source);
  });

  it('points server and clients at the rabbitmq service, in one namespace', () => {
    const server = environmentOf(config.services.server!);
    const client = environmentOf(config.services.client!);
    for (const env of [server, client]) expect(new URL(env.AMQP_URL ?? '').hostname).toBe('rabbitmq');
    expect(server.WARREN_NAMESPACE).toBeTruthy();
    expect(client.WARREN_NAMESPACE).toBe(server.WARREN_NAMESPACE);
  });

  it('is secure by default: broker files mounted, no credentials in any URL, the authority reachable on the network only', () => {
    const rabbitmq = config.services.rabbitmq!;
    const targets = volumesOf(rabbitmq).map((volume) => `${volume.source}:${volume.target}`);
    expect(targets).toContain(`${join(ROOT, 'broker', 'rabbitmq.conf')}:/etc/rabbitmq/rabbitmq.conf`);
    expect(targets).toContain(`${join(ROOT, 'broker', 'enabled_plugins')}:/etc/rabbitmq/enabled_plugins`);
    const server = environmentOf(config.services.server!);
    const client = environmentOf(config.services.client!);
    for (const env of [server, client]) {
      const url = new URL(env.AMQP_URL ?? '');
      expect([url.username, url.password]).toEqual(['', '']);
      expect(env.WARREN_INSECURE_OPEN_BROKER ?? '').toBe('');
    }
    expect(server.WARREN_AUTHORITY_HOST).toBe('0.0.0.0');
    expect(server.WARREN_AUTHORITY_PORT).toBe('15680');
    expect(JSON.stringify(config.services.server!.ports ?? [])).not.toContain('15680');
    expect(Object.keys(client).filter((key) => /PASSWORD|SECRET/.test(key))).toEqual([]);
  });

  it('runs node directly, on the programs of the npm scripts start, client:standby and web', () => {
    const ran: Record<string, string | undefined> = {};
    for (const [name, service] of Object.entries(config.services)) {
      if (name === 'rabbitmq') continue;
      expect(service.entrypoint).toBeUndefined();
      expect(service.command).toBeDefined();
      const { script, problem } = scriptOf(service.command!);
      expect(problem).toBeUndefined();
      ran[name] = script;
    }
    expect(ran).toEqual({ server: 'start', client: 'client:standby', web: 'web' });
  });

  it('is accepted by `docker-compose config`', async () => {
    if (!compose) {
      process.stderr.write('SKIPPED: `docker-compose config -q` (docker-compose is not installed)\n');
      return;
    }
    await expect(run(compose[0]!, [...compose.slice(1), '-f', COMPOSE_FILE, 'config', '-q'], { cwd: ROOT, env: composeEnv })).resolves.toBeDefined();
  });
});

describe('Dockerfile', () => {
  it('names only npm scripts that package.json defines, in RUN, CMD and ENTRYPOINT', () => {
    const named: string[] = [];
    for (const { keyword, args } of dockerInstructions()) {
      if (keyword === 'CMD' || keyword === 'ENTRYPOINT') {
        const { script, problem } = scriptOf(execForm(args));
        expect(problem).toBeUndefined();
        named.push(script!);
      } else if (keyword === 'RUN') {
        for (const match of args.matchAll(/\bnpm\s+(?:(?:run|run-script)\s+([\w:.-]+)|(start|test)\b)/g)) named.push(match[1] ?? match[2]!);
      }
    }
    expect(named).toEqual(expect.arrayContaining(['build', 'start']));
    for (const script of named) expect(Object.keys(scripts)).toContain(script);
  });

  it('installs production dependencies with npm ci and puts the warren bin on PATH', () => {
    const text = dockerInstructions().map(({ keyword, args }) => `${keyword} ${args}`).join('\n');
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toContain(`ln -s /app/${bin.warren} /usr/local/bin/warren`);
    expect(runtimeStage().some(({ keyword, args }) => keyword === 'USER' && args !== 'root')).toBe(true);
  });

  it('builds every program the npm scripts of the containers start', () => {
    for (const script of ['start', 'client:standby', 'client', 'web']) {
      const program = /^(?:exec\s+)?node\s+(\S+)/.exec(scripts[script] ?? '')?.[1];
      expect(program).toBeDefined();
      expect(existsSync(join(ROOT, program!))).toBe(true);
    }
  });
});

describe('the server container\'s command, as the container runs it', () => {
  it('serves, and on SIGTERM shuts down gracefully with exit code 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-compose-'));
    const namespace = uniqueNamespace('compose');
    const command = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }).services.server.command as string[];
    const child = spawn(command[0]!, command.slice(1), {
      cwd: ROOT,
      env: {
        ...composeEnv,
        ...runtimeEnv(),
        ...OPEN_MODE_ENV,
        AMQP_URL: amqpUrl(),
        WARREN_NAMESPACE: namespace,
        WARREN_DATA_DIR: join(dir, 'data'),
        WARREN_LOG_DIR: join(dir, 'log'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a failed test can remove whatever it started.
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | string>((resolveExit) => child.on('exit', (code, signal) => resolveExit(code ?? signal ?? -1)));
    try {
      await waitFor(() => output.includes('coordinator ready') || child.exitCode !== null, () => `the coordinator to serve; output:\n${output}`, 20_000);
      expect(output).toContain('coordinator ready');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The coordinator itself got the signal (not only npm): it said so before exiting.
      expect(output).toContain('SIGTERM received');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* the group is empty: everything has exited */
      }
      await deleteNamespace(namespace);
    }
  });
});
