import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { WarrenClient } from '../../client/lib/warren-client.js';
import type { ChatEvent } from '../../shared/index.js';
import { amqpUrlWithCredentials, mintClientCredentials, type ClientCredentials } from '../../shared/broker-identity.js';
import { SERVER_MAIN, RATE_LIMITS_OFF, runProgram, type Program } from '../support/programs.js';
import { PrivateBroker, freePort } from '../support/private-broker.js';
import { SecureBroker } from '../support/secure-broker.js';
import { loggedMessages, stopProgram } from '../support/fault-kit.js';
import { waitFor } from '../support/wait.js';

/**
 * Two coordinators in secure mode on one shared store (one SQLite folder) and one private secure
 * node, the input in four partitions. The first holds the authority port; the second stands by,
 * let in by the first's authority through the store. The first is killed with SIGKILL: the second
 * takes the port and every partition, old clients keep chatting, new ones log in, and what an
 * attacker tries is still refused.
 */
const available = PrivateBroker.available();
const describeBroker = available ? describe : describe.skip;

const NAMESPACE = 'sec-multi';
const PARTITIONS = 4;
const NAMES = ['ana', 'bruno', 'chen', 'dana', 'eli', 'fay', 'gus', 'hana'];

let broker: SecureBroker;
let dir: string;
const programs: Program[] = [];
const clients: { name: string; client: WarrenClient; seen: ChatEvent[] }[] = [];
const opened: amqplib.ChannelModel[] = [];

function coordinatorEnv(logFile: string): Record<string, string> {
  return {
    WARREN_INSECURE_OPEN_BROKER: '',
    AMQP_URL: broker.baseUrl,
    WARREN_NAMESPACE: NAMESPACE,
    WARREN_DATA_DIR: join(dir, 'data'),
    WARREN_LOG_DIR: join(dir, 'log'),
    WARREN_CHAT_LOG_FILE: logFile,
    WARREN_INPUT_PARTITIONS: String(PARTITIONS),
    WARREN_AUTHORITY_PORT: String(broker.authorityPort),
    ...RATE_LIMITS_OFF,
  };
}

async function startCoordinator(logFile: string): Promise<Program> {
  const program = runProgram(SERVER_MAIN, [], coordinatorEnv(logFile));
  programs.push(program);
  await waitFor(() => program.stderr().includes('coordinator ready') || program.child.exitCode !== null, () => `the coordinator (${logFile}) to serve:\n${program.stderr().slice(-3000)}`, 60_000);
  if (program.child.exitCode !== null) throw new Error(`coordinator exited: ${program.stderr()}`);
  return program;
}

async function secureClient(name: string): Promise<{ name: string; client: WarrenClient; seen: ChatEvent[] }> {
  const client = new WarrenClient({
    amqpUrl: broker.baseUrl,
    namespace: NAMESPACE,
    security: { mode: 'secure', coordinatorUser: 'warren-coordinator' },
    requestTimeoutMs: 15_000,
    reconnectBackoff: { initialMs: 100, maxMs: 1000 },
  });
  const entry = { name, client, seen: [] as ChatEvent[] };
  client.on('message', (event) => entry.seen.push(event));
  clients.push(entry);
  await client.connect();
  await client.login(name);
  return entry;
}

/** The broker login a client minted (white box: the library keeps it to itself). */
const credentialsOf = (client: WarrenClient): ClientCredentials =>
  (client as unknown as { link: { security: { credentials: ClientCredentials } } }).link.security.credentials;

/** A broker login that must be refused, whichever authority answers. */
async function loginRefused(user: string, password: string): Promise<string> {
  const outcome = await amqplib.connect(amqpUrlWithCredentials(broker.baseUrl, user, password)).then(
    (connection) => {
      opened.push(connection);
      return 'logged in';
    },
    (err: Error) => err.message,
  );
  expect(outcome).toMatch(/ACCESS[-_]REFUSED|403/);
  return outcome;
}

const readyz = async (program: Program): Promise<number> => {
  const port = /metrics and health on http:\/\/[^:]+:(\d+)/.exec(program.stderr())?.[1];
  if (port === undefined) throw new Error('no metrics port logged');
  return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
};

const logOf = (file: string): string[] => {
  const path = join(dir, 'log', file);
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
};

/** Every client shows every text in `texts`. */
async function everyoneSees(texts: readonly string[], what: string): Promise<void> {
  await waitFor(() => clients.every((entry) => texts.every((text) => entry.seen.some((event) => event.text === text))), what, 60_000);
}

beforeAll(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'warren-secure-multi-'));
  broker = await SecureBroker.start({ authorityPort: await freePort() });
}, 120_000);

afterAll(async () => {
  if (process.env.WARREN_TEST_DUMP) for (const [i, program] of programs.entries()) process.stdout.write(`--- coordinator ${i}\n${program.stderr().slice(-6000)}\n`);
  for (const connection of opened) await connection.close().catch(() => undefined);
  await Promise.all(clients.map((entry) => entry.client.close().catch(() => undefined)));
  for (const program of programs) await stopProgram(program);
  if (broker) await broker.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

describeBroker('two coordinators in secure mode on one store', () => {
  it('share logins and identities; when the port holder is killed the other takes over, and attacks are still refused', async () => {
    const first = await startCoordinator('chat-first.log');
    const second = await startCoordinator('chat-second.log');
    // The second could not bind the port: it stands by, and its own broker login was let in by the first's authority.
    expect(second.stderr()).toContain(`broker authority port ${broker.authorityPort} is held by another coordinator on this host; standing by`);
    expect(first.stderr()).not.toContain('standing by');
    expect(await readyz(second)).toBe(200);
    expect(await readyz(first)).toBe(200);

    // Bad input first: a forged coordinator password, an empty one, a client id with a secret not its own.
    await loginRefused('warren-coordinator', randomBytes(32).toString('base64url'));
    await loginRefused('warren-coordinator', 'x');

    for (const name of NAMES) await secureClient(name);
    const victim = clients[0];
    if (!victim) throw new Error('no clients');
    await loginRefused(victim.client.clientId, mintClientCredentials().secret);

    // Both ways: everyone speaks once, everyone sees everyone.
    const before = NAMES.map((name) => `${name} before ${randomBytes(3).toString('hex')}`);
    await Promise.all(clients.map((entry, index) => entry.client.send(before[index] ?? '')));
    await everyoneSees(before, 'every client to see every line sent before the kill');
    const servedBefore = { first: loggedMessages(logOf('chat-first.log')).length, second: loggedMessages(logOf('chat-second.log')).length };

    // One logs out: its id is revoked (by whichever coordinator serves its partition), in the shared store.
    const leaving = await secureClient('ivo');
    const leavingCredentials = credentialsOf(leaving.client);
    await leaving.client.close();
    clients.splice(clients.indexOf(leaving), 1);

    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    await waitFor(() => second.stderr().includes(`broker authority port ${broker.authorityPort} taken over`), () => `the second to take the port:\n${second.stderr().slice(-2000)}`, 10_000);
    const tookPortMs = Date.now() - killedAt;

    // A new client connects and logs in within a few seconds of the kill.
    const newcomer = await secureClient('jun');
    const newcomerLoggedInMs = Date.now() - killedAt;
    expect(newcomerLoggedInMs).toBeLessThan(30_000);

    // Attacks after the failover: forged coordinator password, a live client's id with another secret, the revoked id with its own secret.
    await loginRefused('warren-coordinator', randomBytes(32).toString('base64url'));
    await loginRefused(victim.client.clientId, mintClientCredentials().secret);
    await loginRefused(leavingCredentials.clientId, leavingCredentials.secret);

    // Old clients keep chatting, the newcomer too; the second serves every sender (every partition in use).
    const after = clients.map((entry) => `${entry.name} after ${randomBytes(3).toString('hex')}`);
    await Promise.all(clients.map((entry, index) => entry.client.send(after[index] ?? '')));
    await everyoneSees(after, 'every client to see every line sent after the kill');
    const servedBySecond = new Set(loggedMessages(logOf('chat-second.log')).map((entry) => entry.id));
    const afterIds = clients[1]?.seen.filter((event) => after.includes(event.text)).map((event) => event.id) ?? [];
    expect(afterIds).toHaveLength(after.length);
    expect(afterIds.filter((id) => !servedBySecond.has(id))).toEqual([]);
    expect((await newcomer.client.users()).map((user) => user.name).sort()).toEqual([...NAMES, 'jun'].sort());
    expect(await readyz(second)).toBe(200);

    process.stdout.write(
      `  secure failover: port taken ${tookPortMs} ms after the kill; newcomer logged in after ${newcomerLoggedInMs} ms; ` +
        `served before the kill: first ${servedBefore.first}, second ${servedBefore.second}; after: second ${after.length} of ${after.length}\n`,
    );
  }, 300_000);
});
