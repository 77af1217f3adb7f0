import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ARTIFACTS_DIR, chromiumAvailability, launchChromium } from '../support/browser.js';
import { ComposeProject, findDocker, freePort, type DockerFound } from '../support/docker.js';
import { ROOT } from '../support/programs.js';
import { TerminalSession } from '../support/terminal.js';
import { waitFor } from '../support/wait.js';

/**
 * The README's Docker commands, run for real: `docker-compose up -d --build --scale client=3`,
 * people chatting through `docker-compose exec --index=N client warren` and `docker exec -it
 * CONTAINER warren` in pseudo-terminals, `restart server` and `restart rabbitmq` mid-conversation,
 * a window closed without /exit, ./log/chat.log, the legacy override with a legacy client on the
 * compose network, and `down -v`. One `up` serves every scenario (the image build dominates).
 * Without a Docker engine it says SKIPPED and why; under CI=true it must run.
 */
const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;
const RUN = Date.now().toString(36);
const MINUTE = 60_000;

let docker: DockerFound;
let project: ComposeProject | undefined;
const terminals: TerminalSession[] = [];
const timings: string[] = [];

function skipped(): boolean {
  if (docker.ok) return false;
  process.stderr.write(`SKIPPED: the docker tier (${docker.reason})\n`);
  return true;
}

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const began = performance.now();
  const result = await work();
  timings.push(`${what}: ${((performance.now() - began) / 1000).toFixed(1)} s`);
  return result;
}

/** A person's window running `docker-compose exec --index=N client warren` (or any command). */
function openWindow(command: string[]): TerminalSession {
  const session = new TerminalSession(command[0]!, command.slice(1), project!.env, { cols: 100, rows: 40 }, ROOT);
  terminals.push(session);
  return session;
}

async function login(window: TerminalSession, name: string): Promise<void> {
  await window.waitForText('Choose a user name', 30_000);
  window.enter(name);
  await window.waitForText(`Welcome to warren, ${name}!`, 30_000);
}

beforeAll(async () => {
  docker = await findDocker();
  if (!docker.ok) {
    // .ci/run sets CI=true after starting the engine: there, no engine is a failure, not a skip.
    if (process.env.CI === 'true') throw new Error(`the docker tier must run in CI, but: ${docker.reason}`);
    return;
  }
  const [amqpPort, managementPort, serverMetricsPort, brokerMetricsPort, webPort, webMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const name = `warrent${RUN}`;
  project = new ComposeProject(docker.compose, name, docker.composeFiles, {
    // The machine's own RabbitMQ holds 5672 and 15672: ports free right now instead.
    WARREN_AMQP_PORT: String(amqpPort),
    WARREN_MANAGEMENT_PORT: String(managementPort),
    WARREN_SERVER_METRICS_PORT: String(serverMetricsPort),
    WARREN_BROKER_METRICS_PORT: String(brokerMetricsPort),
    WARREN_WEB_PORT: String(webPort),
    WARREN_WEB_METRICS_PORT: String(webMetricsPort),
    WARREN_NETWORK: `${name}_net`,
  });
  project.armCleanup();
  process.stderr.write(`docker tier: engine ${docker.engine}, project ${name}, ${docker.note}, ports ${amqpPort}/${managementPort}/${serverMetricsPort}/${brokerMetricsPort}\n`);
  // The README's command, word for word.
  await timed('up -d --build --scale client=3', () => project!.run(['up', '-d', '--build', '--scale', 'client=3'], 15 * MINUTE));
  await timed('up to everything ready', () =>
    waitFor(
      async () =>
        (await project!.health('rabbitmq')) === 'healthy' &&
        (await project!.logs('server')).includes('coordinator ready') &&
        (await project!.logs('web')).includes('web gateway ready') &&
        ((await project!.logs('client')).match(/warren client container ready/g) ?? []).length >= 3,
      'rabbitmq healthy, the coordinator and the web gateway ready and three client containers ready',
      3 * MINUTE,
    ),
  );
}, 20 * MINUTE);

afterAll(async () => {
  for (const window of terminals) window.kill();
  if (project) {
    await project.down();
    process.stderr.write(`docker tier timings: ${timings.join('; ')}\n`);
  }
}, 5 * MINUTE);

describe('the README\'s Docker commands, for real', () => {
  it('publishes the broker on the chosen ports and logs plain lines from the client containers', async () => {
    if (skipped()) return;
    const ports = await project!.run(['port', 'rabbitmq', '5672']);
    expect(ports.trim()).toBe(`127.0.0.1:${project!.env.WARREN_AMQP_PORT}`);
    expect((await project!.run(['port', 'server', '9464'])).trim()).toBe(`127.0.0.1:${project!.env.WARREN_SERVER_METRICS_PORT}`);
    expect((await project!.run(['port', 'rabbitmq', '15692'])).trim()).toBe(`127.0.0.1:${project!.env.WARREN_BROKER_METRICS_PORT}`);
    const logs = await project!.logs('client');
    expect(logs).toContain('warren client container ready');
    // No terminal escapes (npm's progress line, a tty's carriage returns) in the logs.
    expect(logs).not.toMatch(/\x1b|\r/);
  });

  it('lets three people chat through exec, survive restarts of the coordinator and the broker, and leave', async () => {
    if (skipped()) return;
    const compose = docker.ok ? docker.compose : [];
    const alice = await timed('docker-compose exec to the name prompt', async () => {
      const window = openWindow([...compose, 'exec', '--index=1', 'client', 'warren']);
      await window.waitForText('Choose a user name', 30_000);
      return window;
    });
    await login(alice, 'alice');

    // A refused name leaves the field: typing "bob" after "Alice" was refused logs in as bob.
    const bob = openWindow([...compose, 'exec', '--index=2', 'client', 'warren']);
    await bob.waitForText('Choose a user name', 30_000);
    bob.enter('Alice');
    await bob.waitForText('[NAME_TAKEN]');
    bob.enter('bob');
    await bob.waitForText('Welcome to warren, bob!', 30_000);

    const carolContainer = await project!.container('client', 3);
    const carol = await timed('docker exec -it to the name prompt', async () => {
      const window = openWindow(['docker', 'exec', '-it', carolContainer, 'warren']);
      await window.waitForText('Choose a user name', 30_000);
      return window;
    });
    await login(carol, 'carol');

    alice.enter(`hello from alice ${RUN}`);
    for (const window of [bob, carol]) await window.waitForText(`alice: hello from alice ${RUN}`);
    bob.enter('/users');
    await bob.waitForText('Online (3): alice, bob, carol');

    alice.enter(`/msg carol psst ${RUN}`);
    await alice.waitForText('delivered to carol');
    await carol.waitForText(new RegExp(`\\[private\\] alice: psst ${RUN}`));

    // The coordinator restarts while alice types: her line arrives, nothing is lost.
    const serverRestart = timed('restart server', () => project!.run(['restart', 'server'], 3 * MINUTE));
    alice.enter(`during the server restart ${RUN}`);
    await serverRestart;
    for (const window of [bob, carol]) await window.waitForText(`alice: during the server restart ${RUN}`, 60_000);
    bob.enter(`after the server restart ${RUN}`);
    for (const window of [alice, carol]) await window.waitForText(`bob: after the server restart ${RUN}`, 30_000);

    // The broker restarts: the clients go offline, keep what is typed, and deliver it on return.
    const brokerRestart = timed('restart rabbitmq', () => project!.run(['restart', 'rabbitmq'], 3 * MINUTE));
    await alice.waitForText(/connection lost|reconnecting|\(offline\)/, 60_000);
    alice.enter(`while the broker restarts ${RUN}`);
    await brokerRestart;
    for (const window of [bob, carol]) await window.waitForText(`alice: while the broker restarts ${RUN}`, 2 * MINUTE);
    carol.enter(`after the broker restart ${RUN}`);
    for (const window of [alice, bob]) await window.waitForText(`carol: after the broker restart ${RUN}`, 60_000);
    expect(bob.text()).not.toContain(`psst ${RUN}`);

    alice.enter('/mymsgs');
    await alice.waitForText(new RegExp(`Your messages \\(4\\):[^]*hello from alice ${RUN}[^]*psst ${RUN}[^]*during the server restart ${RUN}[^]*while the broker restarts ${RUN}`));

    // carol closes her window instead of typing /exit: Docker does not tell the process, which
    // notices that its terminal stopped answering and logs out (not the 15 s session timeout).
    const closedAt = Date.now();
    carol.hangUp();
    await bob.waitForText(/carol left · /, 30_000);
    timings.push(`closed window to "carol left": ${((Date.now() - closedAt) / 1000).toFixed(1)} s`);
    expect(bob.text()).not.toContain('carol left (connection timed out)');

    alice.enter('/exit');
    await alice.waitForText('Bye.');
    expect(await alice.exited).toBe(0);
    bob.type('\x04');
    await bob.waitForText('Bye.');
    expect(await bob.exited).toBe(0);

    // ./log/chat.log on the host: both timestamps on every message line, and the leaves.
    const log = readFileSync(join(ROOT, 'log', 'chat.log'), 'utf8');
    for (const [from, text] of [['alice', `hello from alice ${RUN}`], ['alice', `psst ${RUN}`], ['alice', `during the server restart ${RUN}`], ['alice', `while the broker restarts ${RUN}`], ['bob', `after the server restart ${RUN}`], ['carol', `after the broker restart ${RUN}`]] as const) {
      expect(log).toMatch(new RegExp(`^${ISO} MESSAGE .*from=${from} client_ts=${ISO} server_ts=${ISO} .*text="${text}"$`, 'm'));
    }
    expect(log).toMatch(/ LEAVE name=carol reason=exit/);
  }, 12 * MINUTE);

  it("turns the coordinator healthy through /readyz and serves the metrics of both: warren's and the broker's", async () => {
    if (skipped()) return;
    const server = `http://127.0.0.1:${project!.env.WARREN_SERVER_METRICS_PORT}`;
    await timed('server healthy (its /readyz)', () => waitFor(async () => (await project!.health('server')) === 'healthy', 'the server container to be healthy', 2 * MINUTE));
    const ready = await fetch(`${server}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { broker: true, store: true, consuming: true } });
    // The conversation above went through this coordinator (its counts start again at each restart).
    const metrics = await (await fetch(`${server}/metrics`)).text();
    const chats = Number(/^warren_messages_accepted_total\{kind="chat"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
    expect(chats).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^warren_end_to_end_latency_seconds_count [1-9]/m);
    expect(metrics).toMatch(/^warren_process_resident_memory_bytes \d/m);
    const broker = await fetch(`http://127.0.0.1:${project!.env.WARREN_BROKER_METRICS_PORT}/metrics`);
    expect(broker.status).toBe(200);
    expect(await broker.text()).toMatch(/^rabbitmq_connections[ {]/m);
  }, 5 * MINUTE);

  it('serves the web page on WARREN_WEB_PORT: a browser and a terminal in a client container talk', async () => {
    if (skipped()) return;
    if (!chromiumAvailability().available) return;
    const compose = docker.ok ? docker.compose : [];
    const port = project!.env.WARREN_WEB_PORT!;
    expect((await project!.run(['port', 'web', '8080'])).trim()).toBe(`127.0.0.1:${port}`);
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      await timed('open the page to the login form', async () => {
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.locator('#login-name').waitFor();
      });
      await page.locator('#login-name').fill('wren');
      await page.keyboard.press('Enter');
      await page.locator('#me', { hasText: 'wren' }).waitFor({ timeout: 30_000 });
      const tess = openWindow([...compose, 'exec', '--index=1', 'client', 'warren']);
      await login(tess, 'tess');
      tess.enter(`from the container ${RUN}`);
      await page.locator('#log li.message .text', { hasText: `from the container ${RUN}` }).waitFor({ timeout: 30_000 });
      await page.locator('#line').fill(`from the browser ${RUN}`);
      await page.keyboard.press('Enter');
      await tess.waitForText(`wren: from the browser ${RUN}`, 30_000);
      // The gateway's own health and metrics: healthy through its /readyz, wren's session and frames counted.
      await waitFor(async () => (await project!.health('web')) === 'healthy', 'the web container to be healthy', 2 * MINUTE);
      const webMetrics = await (await fetch(`http://127.0.0.1:${project!.env.WARREN_WEB_METRICS_PORT}/metrics`)).text();
      expect(webMetrics).toMatch(/^warren_web_sessions_open [1-9]/m);
      expect(webMetrics).toMatch(/^warren_web_frames_in_total [1-9]/m);
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'docker-web.png'), fullPage: true });
      await page.locator('#line').fill('/exit');
      await page.keyboard.press('Enter');
      await tess.waitForText(/wren left/, 30_000);
      tess.enter('/exit');
      expect(await tess.exited).toBe(0);
    } finally {
      await browser?.close();
    }
  }, 4 * MINUTE);

  it('serves a legacy client on the compose network with docker-compose.legacy.yml', async () => {
    if (skipped()) return;
    const compose = docker.ok ? docker.compose : [];
    const files = project!.composeFiles.flatMap((file) => ['-f', file]);
    await timed('up with the legacy override', () => project!.run([...files, '-f', 'docker-compose.legacy.yml', 'up', '-d', '--scale', 'client=3'], 5 * MINUTE));
    await waitFor(
      async () => {
        const logs = await project!.logs('server');
        return logs.includes('legacy mode: serving') && logs.includes('coordinator ready');
      },
      'the coordinator, recreated in legacy mode, to be ready',
      2 * MINUTE,
    );
    const dave = openWindow([...compose, 'exec', '--index=1', 'client', 'warren']);
    await login(dave, 'dave');

    const image = (await project!.run(['config'])).match(/image: (warren\S*)/)?.[1] ?? 'warren:latest';
    const legacy = spawn('docker', ['run', '--rm', '-i', '--network', project!.env.WARREN_NETWORK!, '-e', `RUN=${RUN}`, image, 'node', '-e', LEGACY_CLIENT], { env: project!.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    legacy.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    legacy.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolveExit) => legacy.on('exit', (code) => resolveExit(code)));
    try {
      await dave.waitForText(`lee: hello from the legacy client ${RUN}`, 60_000);
      dave.enter(`hi lee ${RUN}`);
      expect(await exited).toBe(0);
      expect(out).toContain(`"message":"hi lee ${RUN}"`);
      dave.enter('/users');
      await dave.waitForText('Online (1): dave');
    } finally {
      if (legacy.exitCode === null) legacy.kill('SIGKILL');
    }
    dave.enter('/exit');
    expect(await dave.exited).toBe(0);
  }, 8 * MINUTE);

  it('takes everything down with `down -v`', async () => {
    if (skipped()) return;
    await timed('down -v', () => project!.down());
    expect(await project!.leftovers()).toEqual([]);
    expect(existsSync(join(ROOT, 'log', 'chat.log'))).toBe(true);
  }, 5 * MINUTE);
});

/**
 * An Actividad 2 client (the protocol of docs/LEGACY.md), run with node inside the warren image on
 * the compose network: logs in as lee, says hello, waits for a line from a warren user, says
 * goodbye. Exits 0 once it saw that line, 1 after a minute without it.
 */
const LEGACY_CLIENT = String.raw`
const amqplib = require('amqplib');
const { randomUUID } = require('node:crypto');
const run = process.env.RUN;
(async () => {
  const connection = await amqplib.connect('amqp://guest:guest@rabbitmq:5672?heartbeat=0');
  const channel = await connection.createChannel();
  const uuid = randomUUID();
  const request = (type, extra) => channel.sendToQueue('server_pending_messages', Buffer.from(JSON.stringify({ id: randomUUID(), type, username: 'lee', client_uuid: uuid, timestamp: Date.now() / 1000, ...extra })), { contentType: 'text/plain', deliveryMode: 2 });
  let loggedIn;
  const ok = new Promise((resolve) => (loggedIn = resolve));
  await channel.assertQueue(uuid, { exclusive: true, durable: false, autoDelete: false });
  await channel.bindQueue(uuid, 'user_channel', uuid);
  await channel.consume(uuid, (msg) => { const body = JSON.parse(msg.content.toString()); console.log(JSON.stringify(body)); if (body.type === 'login') loggedIn(body.response); }, { noAck: true });
  await channel.assertExchange('broadcast', 'fanout', { durable: false, autoDelete: false });
  const { queue } = await channel.assertQueue('', { exclusive: true, durable: false });
  await channel.bindQueue(queue, 'broadcast', '');
  let heard;
  const hi = new Promise((resolve) => (heard = resolve));
  await channel.consume(queue, (msg) => { const line = msg.content.toString(); console.log(line); if (line.includes('hi lee ' + run)) heard(); }, { noAck: true });
  request('login', {});
  if ((await ok) !== 'ok') throw new Error('login refused');
  request('message', { message: 'hello from the legacy client ' + run });
  const timer = setTimeout(() => { console.error('no line from a warren user'); process.exit(1); }, 60000);
  await hi;
  clearTimeout(timer);
  request('disconnect', {});
  await channel.close();
  await connection.close();
})().catch((err) => { console.error(String(err)); process.exit(1); });
`;
