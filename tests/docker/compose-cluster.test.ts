import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ComposeProject, findDocker, freePort, type DockerFound } from '../support/docker.js';
import { ROOT } from '../support/programs.js';
import { TerminalSession } from '../support/terminal.js';
import { waitFor } from '../support/wait.js';

/**
 * docker-compose.cluster.yml for real, with the README's command: three RabbitMQ nodes in one
 * cluster, PostgreSQL, two coordinators sharing the partitions, two people chatting from client
 * containers. Then one coordinator is killed: the chat goes on, and the merged chat log holds
 * every message once. Then the RabbitMQ node most of the people are on is killed, in secure
 * mode: the chat goes on (before the cluster file made a dead node's name fail to resolve at once,
 * the surviving nodes stalled on it and the people were logged out: docs/RELIABILITY.md
 * "Three-node cluster"). Without a Docker engine it says
 * SKIPPED and why; under CI=true it must run.
 */
const run = promisify(execFile);
const RUN = Date.now().toString(36);
const MINUTE = 60_000;
const FILES = ['docker-compose.yml', 'docker-compose.cluster.yml'];
/** ./log is the repository's own folder (the compose file mounts it): only this run's lines count. */
const STARTED = new Date().toISOString();
const LOG_DIR = join(ROOT, 'log');
const logsBefore = new Set(existsSync(LOG_DIR) ? readdirSync(LOG_DIR) : []);

let docker: DockerFound;
let project: ComposeProject | undefined;
const terminals: TerminalSession[] = [];

function skipped(): boolean {
  if (docker.ok) return false;
  process.stderr.write(`SKIPPED: the docker cluster tier (${docker.reason})\n`);
  return true;
}

/** `postgres:15` from the registry, or (no registry here) the local stand-in in tests/docker/postgres-standin. */
async function ensurePostgresImage(): Promise<void> {
  const present = await run('docker', ['image', 'inspect', 'postgres:15']).then(
    () => true,
    () => false,
  );
  if (!present) await run('docker', ['build', '--network', 'host', '-t', 'postgres:15', 'tests/docker/postgres-standin'], { cwd: ROOT, timeout: 10 * MINUTE, maxBuffer: 64 * 1024 * 1024 });
}

/** Ten consecutive loopback ports nothing listens on now (the coordinators' metrics range). */
async function freeRange(): Promise<string> {
  for (;;) {
    const first = await freePort();
    if (first > 65_000) continue;
    const ports = await Promise.all(Array.from({ length: 10 }, () => freePort()));
    if (!ports.some((port) => port >= first && port < first + 10)) return `${first}-${first + 9}`;
  }
}

/** The cluster node holding most client connections (client ids are `c-…`), as the broker lists them. */
async function busiestClientNode(): Promise<string> {
  // One line per connection: its user, a tab, its pid (`<rabbit@rabbitmq-2.1796232173.1624.0>`: the node it is on).
  const listed = await project!.run(['exec', '-T', 'rabbitmq-2', 'rabbitmqctl', '-q', 'list_connections', 'user', 'pid', '--no-table-headers'], 60_000);
  const perNode = new Map<string, number>();
  for (const line of listed.split('\n')) {
    const [user, pid] = line.trim().split('\t');
    // The node name ends at the first dot: the cluster file's host names are single labels.
    const node = /^<([^@.]+@[^.]+)\./.exec(pid ?? '')?.[1];
    if (user?.startsWith('c-') && node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const [busiest] = [...perNode].sort((a, b) => b[1] - a[1]);
  if (!busiest) throw new Error(`no client connection in the broker's list:\n${listed}`);
  return busiest[0];
}

function openWindow(index: number): TerminalSession {
  const session = new TerminalSession(project!.compose[0]!, [...project!.compose.slice(1), 'exec', `--index=${index}`, 'client', 'warren'], project!.env, { cols: 100, rows: 40 }, ROOT);
  terminals.push(session);
  return session;
}

async function login(window: TerminalSession, name: string): Promise<void> {
  await window.waitForText('Choose a user name', 60_000);
  window.enter(name);
  await window.waitForText(`Welcome to warren, ${name}!`, 60_000);
}

beforeAll(async () => {
  docker = await findDocker();
  if (!docker.ok) {
    if (process.env.CI === 'true') throw new Error(`the docker cluster tier must run in CI, but: ${docker.reason}`);
    return;
  }
  await ensurePostgresImage();
  const local = docker.composeFiles.slice(1);
  const files = [...FILES, ...local, ...(local.length > 0 ? ['tests/docker/cluster.local.yml'] : [])];
  const name = `warrenc${RUN}`;
  const [amqpPort, managementPort, brokerMetricsPort, webPort, webMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  project = new ComposeProject(docker.compose, name, files, {
    WARREN_AMQP_PORT: String(amqpPort),
    WARREN_MANAGEMENT_PORT: String(managementPort),
    WARREN_BROKER_METRICS_PORT: String(brokerMetricsPort),
    WARREN_WEB_PORT: String(webPort),
    WARREN_WEB_METRICS_PORT: String(webMetricsPort),
    WARREN_SERVER_METRICS_PORT: await freeRange(),
    WARREN_NETWORK: `${name}_net`,
    // What the cluster file's first lines have the operator put in .env once.
    WARREN_ERLANG_COOKIE: randomBytes(24).toString('hex'),
    WARREN_POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
  });
  project.armCleanup();
  try {
    await project.run(['up', '-d', '--build', '--scale', 'server=2', '--scale', 'client=2'], 20 * MINUTE);
  } catch (err) {
    const logs = await project.run(['logs', '--no-color', '--tail=80', 'server', 'rabbitmq', 'postgres']).catch((failure: unknown) => String(failure));
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- logs:\n${logs}`);
  }
  let seen = '';
  await waitFor(
    async () => {
      const states = await Promise.all(['rabbitmq', 'rabbitmq-2', 'rabbitmq-3', 'postgres'].map((service) => project!.health(service)));
      seen = await project!.run(['ps'], 30_000);
      const servers = seen.split('\n').filter((line) => /_server_\d/.test(line) && line.includes('(healthy)')).length;
      return states.every((state) => state === 'healthy') && servers === 2;
    },
    () => `the cluster, the store and both coordinators to be healthy:\n${seen}`,
    6 * MINUTE,
  );
}, 30 * MINUTE);

afterAll(async () => {
  for (const window of terminals) window.kill();
  if (project) {
    // WARREN_DOCKER_KEEP_LOGS=1 prints the coordinators' last 60 lines; a larger number, that many.
    const keep = Number(process.env.WARREN_DOCKER_KEEP_LOGS);
    const services = process.env.WARREN_DOCKER_KEEP_LOGS ? ['server', 'rabbitmq-2', 'rabbitmq-3'] : ['server'];
    const leftoverLogs = await project.run(['logs', '--no-color', '--timestamps', `--tail=${Number.isInteger(keep) && keep > 60 ? keep : 60}`, ...services]).catch(() => '');
    await project.down();
    if (process.env.WARREN_DOCKER_KEEP_LOGS) process.stderr.write(leftoverLogs);
  }
  // The coordinators' chat-<container>.log files of this run.
  for (const file of existsSync(LOG_DIR) ? readdirSync(LOG_DIR) : []) {
    if (/^chat-.+\.log$/.test(file) && !logsBefore.has(file)) rmSync(join(LOG_DIR, file), { force: true });
  }
}, 5 * MINUTE);

describe('docker-compose.cluster.yml', () => {
  it('forms one cluster of three nodes, and both coordinators serve', async () => {
    if (skipped()) return;
    const status = await project!.run(['exec', '-T', 'rabbitmq', 'rabbitmqctl', '-q', 'cluster_status', '--formatter', 'json'], 60_000);
    const running = (JSON.parse(status.slice(status.indexOf('{'))) as { running_nodes: string[] }).running_nodes;
    expect(running.sort()).toEqual(['rabbit@rabbitmq', 'rabbit@rabbitmq-2', 'rabbit@rabbitmq-3']);
    const logs = await project!.logs('server');
    expect(logs.match(/coordinator ready/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  }, 2 * MINUTE);

  it('keeps the chat going when a coordinator is killed; the merged log has each message once', async () => {
    if (skipped()) return;
    const ana = openWindow(1);
    const bo = openWindow(2);
    await login(ana, 'ana');
    await login(bo, 'bo');
    ana.enter('hello from the cluster');
    await bo.waitForText('hello from the cluster', 60_000);

    bo.enter('bo hears you');
    await ana.waitForText('bo hears you', 60_000);

    // One of the two coordinators dies: the other takes its partitions, and its authority answers
    // the broker alone (the name `server` now resolves to it only).
    await run('docker', ['kill', await project!.container('server', 1)]);
    ana.enter('after a coordinator died');
    await bo.waitForText('after a coordinator died', 90_000);
    bo.enter('still here');
    await ana.waitForText('still here', 90_000);

    const merged = await project!.run(['exec', '-T', '--index=2', 'server', 'node', 'dist/server/log/chat-log-cli.js', '/app/log'], 60_000);
    const lines = merged.split('\n').filter((line) => line.includes(' MESSAGE ') && line.slice(0, 24) >= STARTED);
    for (const text of ['hello from the cluster', 'bo hears you', 'after a coordinator died', 'still here']) {
      expect(lines.filter((line) => line.includes(JSON.stringify(text)))).toHaveLength(1);
    }
    expect(merged).toMatch(/0 repeated message line\(s\)/);
  }, 10 * MINUTE);

  it('keeps the chat going in secure mode when the RabbitMQ node most people are on is killed', async () => {
    if (skipped()) return;
    const [ana, bo] = terminals;
    if (!ana || !bo) throw new Error('the test before opened the two windows');
    // Every program starts at a random node (WARREN_AMQP_NODE_ORDER=spread): ask the broker which
    // node carries most of the people's connections, and kill that one.
    const node = await busiestClientNode();
    const service = node.replace(/^rabbit@/, '');
    process.stderr.write(`killing ${service} (${node}) at ${new Date().toISOString()}\n`);
    await run('docker', ['kill', await project!.container(service, 1)]);
    ana.enter('after a node died');
    await bo.waitForText('after a node died', 90_000);
    bo.enter('bo still hears you');
    await ana.waitForText('bo still hears you', 90_000);
  }, 5 * MINUTE);
});
