import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { amqpUrlWithCredentials, mintClientCredentials, type ClientCredentials } from '../../shared/broker-identity.js';
import { clientQueueOptions, declareSecureTopology, secureTopologyFor, type SecureTopology } from '../../shared/secure-topology.js';
import { Authority } from '../../server/authority/authority.js';
import { freePort } from './private-broker.js';
import { SecureBroker } from './secure-broker.js';
import { Attacker, AttackTally, publishConfirmed } from './attacker.js';
import { ConversationLedger } from './attacker-ledger.js';
import { waitFor } from './wait.js';

/**
 * The stage of an attack file: one secure broker node (the repository's broker/ files), the
 * authority, a coordinator, honest users holding a conversation, and attackers with valid
 * credentials of their own. The honest users' conversation is recorded in a ledger, checked after
 * the attacks: nothing lost, duplicated, reordered or forged.
 *
 * Stage 1 (before the coordinator is wired for secure mode): the coordinator here is a stand-in
 * relay, the smallest thing that does what the design says the coordinator does with chat input:
 * it takes the sender from `userId` (the id the authority bound at login), and publishes the line
 * to `<ns>.events` as itself. The broker, the authority and its decisions are the real ones.
 */

export interface HonestUser {
  readonly name: string;
  readonly clientId: string;
  /** Sends a line to general and waits for the broker's confirm. */
  say(text: string): Promise<void>;
}

export class AttackScene {
  readonly tally: AttackTally;
  readonly ledger = new ConversationLedger();
  readonly topology: SecureTopology;
  private readonly connections: ChannelModel[] = [];
  private readonly attackers: Attacker[] = [];
  private coordinatorConnection!: ChannelModel;
  coordinatorChannel!: ConfirmChannel;
  private seq = 0;
  private round = 0;
  private readonly users: HonestUser[] = [];
  private chatter: NodeJS.Timeout | undefined;
  private readonly chatterErrors: string[] = [];
  /** Input the stand-in coordinator refused (no userId, unbound id). */
  readonly refusedInput: string[] = [];

  private constructor(
    suite: string,
    readonly namespace: string,
    readonly broker: SecureBroker,
    readonly authority: Authority,
  ) {
    this.tally = new AttackTally(suite);
    this.topology = secureTopologyFor(namespace);
  }

  static async start(suite: string, namespace = 'atk'): Promise<AttackScene> {
    const authorityPort = await freePort();
    const broker = await SecureBroker.start({ authorityPort });
    let authority: Authority;
    try {
      authority = await Authority.start({
        namespace,
        amqpUrl: broker.baseUrl,
        port: authorityPort,
        managementUrl: `http://127.0.0.1:${broker.managementPort}`,
      });
      await authority.ready();
    } catch (err) {
      await broker.stop();
      throw err;
    }
    const scene = new AttackScene(suite, namespace, broker, authority);
    await scene.startCoordinator();
    return scene;
  }

  get baseUrl(): string {
    return this.broker.baseUrl;
  }

  get coordinatorUser(): string {
    return this.authority.coordinatorUser;
  }

  private async startCoordinator(): Promise<void> {
    this.coordinatorConnection = await amqplib.connect(this.authority.coordinatorUrl);
    this.coordinatorConnection.on('error', () => undefined);
    this.coordinatorChannel = await this.coordinatorConnection.createConfirmChannel();
    await declareSecureTopology(this.coordinatorChannel, this.topology);
    const T = this.topology;
    await this.coordinatorChannel.consume(T.chatQueue, (msg) => {
      if (!msg) return;
      const sender = typeof msg.properties.userId === 'string' ? this.authority.identity(msg.properties.userId) : undefined;
      const name = sender?.state === 'bound' ? sender.name : undefined;
      let text: unknown;
      try {
        text = (JSON.parse(msg.content.toString('utf8')) as { text?: unknown }).text;
      } catch {
        text = undefined;
      }
      if (!name || typeof text !== 'string') {
        this.refusedInput.push(String(msg.properties.userId));
        return;
      }
      this.seq += 1;
      void publishConfirmed(this.coordinatorChannel, T.eventsExchange, 'room.general', { type: 'message', room: 'general', seq: this.seq, from: name, text }, { userId: this.coordinatorUser });
    }, { noAck: true });
  }

  private async connectAs(credentials: ClientCredentials, label: string): Promise<ChannelModel> {
    const connection = await amqplib.connect(amqpUrlWithCredentials(this.baseUrl, credentials.clientId, credentials.secret), { clientProperties: { connection_name: label } });
    connection.on('error', () => undefined);
    this.connections.push(connection);
    return connection;
  }

  /** An honest user: its own id, logged in as `name`, in general, showing only what the coordinator published. */
  async honest(name: string): Promise<HonestUser> {
    const credentials = mintClientCredentials();
    const connection = await this.connectAs(credentials, name);
    const channel = await connection.createConfirmChannel();
    const queue = this.topology.clientQueue(credentials.clientId);
    await channel.assertQueue(queue, clientQueueOptions());
    expect(this.authority.bind(credentials.clientId, name)).toBe('bound');
    await channel.bindQueue(queue, this.topology.eventsExchange, 'presence');
    await channel.bindQueue(queue, this.topology.eventsExchange, 'room.general');
    this.ledger.viewer(name);
    await channel.consume(queue, (msg) => {
      if (!msg || msg.properties.userId !== this.coordinatorUser) return;
      const body = JSON.parse(msg.content.toString('utf8')) as { type?: string; from?: string; room?: string; text?: string };
      if (body.type === 'message') this.ledger.showed(name, { from: String(body.from), room: String(body.room), text: String(body.text) });
    }, { noAck: true });
    const user: HonestUser = {
      name,
      clientId: credentials.clientId,
      say: async (text) => {
        this.ledger.said({ from: name, room: 'general', text });
        await publishConfirmed(channel, this.topology.inputExchange, this.topology.chatRoutingKey, { type: 'chat', text }, { userId: credentials.clientId });
      },
    };
    this.users.push(user);
    return user;
  }

  /** An attacker with credentials of its own, logged in to the chat as `name`. */
  async attacker(name: string): Promise<Attacker> {
    const attacker = await Attacker.connect(this.baseUrl, this.tally);
    this.attackers.push(attacker);
    expect(this.authority.bind(attacker.clientId, name)).toBe('bound');
    const channel = await attacker.connection.createChannel();
    await channel.assertQueue(this.topology.clientQueue(attacker.clientId), clientQueueOptions());
    await channel.close();
    return attacker;
  }

  /** One round of conversation: every honest user says a numbered line; waits until all are shown everywhere. */
  async talk(label = 'round'): Promise<void> {
    this.round += 1;
    for (const user of this.users) await user.say(`${label} ${this.round} from ${user.name}`);
    await waitFor(() => this.ledger.complete(), () => `the conversation to be delivered: ${this.ledger.count().details.join('; ')}`, 15_000).catch(() => undefined);
  }

  /** Keeps the honest users talking in the background (one line each every `everyMs`) while attacks run. */
  startChatter(everyMs = 100): void {
    if (this.chatter) return;
    let n = 0;
    const tick = async (): Promise<void> => {
      n += 1;
      const k = n;
      for (const user of this.users) await user.say(`chatter ${k} from ${user.name}`).catch((err: Error) => this.chatterErrors.push(err.message));
    };
    this.chatter = setInterval(() => void tick(), everyMs);
  }

  /** Settles the ledger into the tally, prints the counts and asserts the bad ones are zero. */
  async finish(): Promise<void> {
    if (this.chatter) clearInterval(this.chatter);
    this.chatter = undefined;
    await this.talk('final');
    expect(this.chatterErrors).toEqual([]);
    const counts = this.ledger.settle(this.tally);
    console.log(`${this.tally.summary()}\n  honest lines sent=${this.ledger.sentCount()}${counts.details.length ? `\n  ${counts.details.slice(0, 20).join('\n  ')}` : ''}`);
    expect({ lost: counts.lost, forgedShown: counts.forgedShown, duplicated: counts.duplicated, outOfOrder: counts.outOfOrder }).toEqual({ lost: 0, forgedShown: 0, duplicated: 0, outOfOrder: 0 });
    expect(this.tally.gotThrough.map((r) => r.label)).toEqual([]);
  }

  async stop(): Promise<void> {
    if (this.chatter) clearInterval(this.chatter);
    for (const attacker of this.attackers) await attacker.close();
    for (const connection of this.connections) await connection.close().catch(() => undefined);
    await this.coordinatorConnection?.close().catch(() => undefined);
    await this.authority.stop();
    await this.broker.stop();
  }
}
