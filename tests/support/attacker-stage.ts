import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Coordinator, type CoordinatorOptions } from '../../server/coordinator.js';
import type { Logger } from '../../server/logger.js';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { DEFAULT_COORDINATOR_USER, mintClientCredentials, type ClientCredentials } from '../../shared/broker-identity.js';
import { secureTopologyFor, type SecureTopology } from '../../shared/secure-topology.js';
import type { ChatEvent, WarrenError } from '../../shared/index.js';
import { freePort } from './private-broker.js';
import { SecureBroker } from './secure-broker.js';
import { Attacker, AttackTally } from './attacker.js';
import { ConversationLedger, type Line } from './attacker-ledger.js';
import { WireAttacker } from './attacker-wire.js';
import { waitFor } from './wait.js';

/**
 * The stage of an attack file: one secure broker node started from the repository's broker/
 * files, the real coordinator in secure mode (it starts the authority the broker asks), honest
 * users on the real client library holding a conversation, and attackers: logged-in participants
 * with valid credentials of their own, acting through raw amqplib. The honest conversation is
 * kept in a ledger and checked after the attacks: nothing lost, duplicated, reordered or forged.
 */

export interface HonestUser {
  readonly name: string;
  readonly client: WarrenClient;
  /** Deliveries the client dropped as not published by the coordinator (UNTRUSTED_SENDER) and other protocol errors. */
  readonly protocolErrors: WarrenError[];
  readonly sessionLost: WarrenError[];
  /** Sends a line (to general, a room, or privately) and waits until the coordinator accepted it. */
  say(text: string, options?: { room?: string; to?: string }): Promise<ChatEvent>;
}

/** The ledger's room of a line: its room, or for a private message the pair of names. */
export function lineRoom(event: { room: string; from: string; to?: string | undefined }): string {
  return event.to === undefined ? event.room : `dm:${[event.from, event.to].sort().join(':')}`;
}

/** What the management API says of a queue (the fields the suite reads). */
export interface QueueInfo {
  messages: number;
  message_bytes: number;
  consumers: number;
  arguments: Record<string, unknown>;
  effective_policy_definition?: Record<string, unknown>;
  operator_policy?: string | null;
}

/** The operator's password on the test node: the suite reads queue lengths through the management API as the operator would. */
const ADMIN_PASSWORD = randomBytes(18).toString('base64url');

export class AttackStage {
  readonly tally: AttackTally;
  readonly ledger = new ConversationLedger();
  readonly topology: SecureTopology;
  readonly honestUsers: HonestUser[] = [];
  private readonly attackers: Attacker[] = [];
  private readonly wires: WireAttacker[] = [];
  private chatter: NodeJS.Timeout | undefined;
  private readonly chatterErrors: string[] = [];
  private round = 0;
  private untrusted = 0;

  private constructor(
    suite: string,
    readonly broker: SecureBroker,
    readonly coordinator: Coordinator,
    readonly options: CoordinatorOptions,
    /** The coordinator's diagnostics, `level message`. */
    readonly logs: string[],
  ) {
    this.tally = new AttackTally(suite);
    this.topology = secureTopologyFor(options.namespace);
  }

  static async start(suite: string, overrides: Partial<CoordinatorOptions> & { legacyGuest?: boolean } = {}): Promise<AttackStage> {
    const { legacyGuest = false, ...rest } = overrides;
    const authorityPort = await freePort();
    const broker = await SecureBroker.start({ authorityPort });
    const dir = mkdtempSync(join(tmpdir(), 'warren-attack-'));
    const logs: string[] = [];
    const logger: Logger = {
      info: (m) => logs.push(`info ${m}`),
      warn: (m) => logs.push(`warn ${m}`),
      error: (m) => logs.push(`error ${m}`),
    };
    const options: CoordinatorOptions = {
      amqpUrl: broker.baseUrl,
      security: {
        mode: 'secure',
        authorityHost: '127.0.0.1',
        authorityPort,
        coordinatorUser: DEFAULT_COORDINATOR_USER,
        legacyGuest,
        managementUrl: `http://127.0.0.1:${broker.managementPort}`,
        disconnectAfterMs: 200,
        adminPassword: ADMIN_PASSWORD,
      },
      namespace: 'atk',
      dataDir: join(dir, 'data'),
      logDir: join(dir, 'log'),
      sessionTimeoutMs: 15_000,
      historyOnJoin: 20,
      prefetch: 200,
      ...rest,
    };
    const coordinator = new Coordinator(options, logger);
    try {
      await coordinator.start();
    } catch (err) {
      await broker.stop();
      throw err;
    }
    return new AttackStage(suite, broker, coordinator, options, logs);
  }

  /** A queue's figures from the management API, as the operator sees them. */
  async queueInfo(queue: string): Promise<QueueInfo> {
    const response = await fetch(`http://127.0.0.1:${this.broker.managementPort}/api/queues/%2F/${encodeURIComponent(queue)}`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
    });
    if (!response.ok) throw new Error(`management API: ${response.status} for ${queue}`);
    return (await response.json()) as QueueInfo;
  }

  /** Names of the client queues on the broker now (the operator's view), e.g. to find a terminal client's queue. */
  async clientQueues(): Promise<string[]> {
    const response = await fetch(`http://127.0.0.1:${this.broker.managementPort}/api/queues/%2F?columns=name`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
    });
    const queues = (await response.json()) as { name: string }[];
    return queues.map((q) => q.name).filter((name) => name.startsWith(this.topology.clientQueuePrefix));
  }

  /** The chat log's lines so far (REJECTED lines name the refused input's code). */
  chatLog(): string[] {
    const path = join(this.options.logDir, 'chat.log');
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
  }

  get baseUrl(): string {
    return this.broker.baseUrl;
  }

  get coordinatorUser(): string {
    return DEFAULT_COORDINATOR_USER;
  }

  private readonly clients: WarrenClient[] = [];

  /** A connected, not logged-in client of the library in secure mode (closed by `stop`). */
  async client(): Promise<WarrenClient> {
    const client = new WarrenClient({ amqpUrl: this.baseUrl, namespace: this.topology.namespace, security: { mode: 'secure', coordinatorUser: this.coordinatorUser }, requestTimeoutMs: 8000 });
    this.clients.push(client);
    await client.connect();
    return client;
  }

  /** An honest user on the client library, logged in as `name`, whose every shown message goes to the ledger. */
  async honest(name: string): Promise<HonestUser> {
    const client = await this.client();
    const protocolErrors: WarrenError[] = [];
    const sessionLost: WarrenError[] = [];
    this.ledger.viewer(name);
    client.on('message', (event) => this.ledger.showed(name, { from: event.from, room: lineRoom(event), text: event.text }));
    client.on('protocolError', (error) => protocolErrors.push(error));
    client.on('sessionLost', (error) => sessionLost.push(error));
    await client.login(name);
    const user: HonestUser = {
      name,
      client,
      protocolErrors,
      sessionLost,
      say: async (text, options = {}) => {
        const line: Line = { from: name, room: options.to ? lineRoom({ from: name, to: options.to, room: '' }) : (options.room ?? 'general'), text };
        this.ledger.said(line);
        return client.send(text, options);
      },
    };
    this.honestUsers.push(user);
    return user;
  }

  /** A viewer of a secret room or a private conversation, for the ledger. */
  follows(name: string, room: string): void {
    this.ledger.viewer(name, [room]);
  }

  /** An attacker with credentials of its own, speaking raw amqplib; logged in to the chat as `name` unless null. */
  async attacker(name: string | null, options: { credentials?: ClientCredentials; queueArguments?: Record<string, unknown>; read?: boolean } = {}): Promise<WireAttacker> {
    const attacker = await Attacker.connect(this.baseUrl, this.tally, options.credentials ?? mintClientCredentials());
    this.attackers.push(attacker);
    const wire = new WireAttacker(attacker, this.topology);
    wire.onOwnLine = (line) => this.ledger.mayShow(line);
    this.wires.push(wire);
    await wire.open(options);
    if (name !== null) {
      const reply = await wire.login(name);
      if (reply.type !== 'login.ok') throw new Error(`the attacker could not log in as ${name}: ${JSON.stringify(reply)}`);
    }
    return wire;
  }

  /** One round of conversation: every honest user says a numbered line to general; waits until all are shown everywhere. */
  async talk(label = 'round'): Promise<void> {
    this.round += 1;
    for (const user of this.honestUsers) await user.say(`${label} ${this.round} from ${user.name}`);
    await waitFor(() => this.ledger.complete(), () => `the conversation to be delivered: ${this.ledger.count().details.join('; ')}`, 15_000).catch(() => undefined);
  }

  /** Keeps the honest users talking in general (one line each every `everyMs`) while the attacks run. */
  startChatter(everyMs = 150): void {
    if (this.chatter) return;
    let n = 0;
    const tick = async (): Promise<void> => {
      n += 1;
      const k = n;
      for (const user of this.honestUsers) await user.say(`chatter ${k} from ${user.name}`).catch((err: Error) => this.chatterErrors.push(`${user.name}: ${err.message}`));
    };
    this.chatter = setInterval(() => void tick(), everyMs);
  }

  stopChatter(): void {
    if (this.chatter) clearInterval(this.chatter);
    this.chatter = undefined;
  }

  /** Settles the ledger into the tally, prints the counts and asserts the bad ones are zero. */
  async finish(): Promise<void> {
    this.stopChatter();
    await this.talk('final');
    const counts = this.ledger.settle(this.tally);
    this.untrusted = this.honestUsers.reduce((n, u) => n + u.protocolErrors.length, 0);
    if (counts.details.length || this.chatterErrors.length) {
      console.log([...counts.details.slice(0, 20), ...this.chatterErrors.slice(0, 5).map((e) => `chatter error: ${e}`)].join('\n'));
    }
    expect({ lost: counts.lost, forgedShown: counts.forgedShown, duplicated: counts.duplicated, outOfOrder: counts.outOfOrder }).toEqual({ lost: 0, forgedShown: 0, duplicated: 0, outOfOrder: 0 });
    expect(this.chatterErrors).toEqual([]);
    expect(this.honestUsers.flatMap((u) => u.sessionLost.map((e) => `${u.name}: ${e.code}`))).toEqual([]);
    expect(this.tally.gotThrough.map((r) => r.label)).toEqual([]);
  }

  /** Prints the file's counts (attempts made after `finish` included) and stops everything. */
  async stop(): Promise<void> {
    this.stopChatter();
    console.log(`${this.tally.summary()}\n  honest lines sent=${this.ledger.sentCount()} deliveries dropped by honest clients=${this.untrusted}`);
    for (const wire of this.wires) wire.stopHeartbeat();
    for (const attacker of this.attackers) await attacker.close();
    // Every client made here, honest users and latecomers alike: one left open would go on
    // reconnecting to the stopped node after the test file ends.
    for (const client of this.clients) await client.close().catch(() => undefined);
    await this.coordinator.stop().catch(() => undefined);
    await this.broker.stop();
  }
}
