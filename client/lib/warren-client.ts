import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import {
  BrokerConnection,
  DEFAULT_ROOM,
  ERROR_CODES,
  PRESENCE_ROUTING_KEY,
  WarrenError,
  declareSharedTopology,
  serverMessageSchema,
  topologyFor,
  type ChatEvent,
  type ChatSend,
  type CommandRequest,
  type ConnectionStatus,
  type HistoryList,
  type LoginOk,
  type MyMessagesList,
  type PresenceEvent,
  type ServerMessage,
  type Topology,
  type UserInfo,
  type UsersList,
} from '../../shared/index.js';
import { PendingRequests } from './pending-requests.js';
import { RoomSequencer } from './room-sequencer.js';

export interface WarrenClientOptions {
  amqpUrl: string;
  namespace: string;
  /** How long a request may wait for its answer. */
  requestTimeoutMs?: number;
  /** Stable id of this client; names its queue. Random by default. */
  clientId?: string;
}

export interface ClientEvents {
  status: [ConnectionStatus];
  message: [ChatEvent];
  presence: [PresenceEvent];
  /** The coordinator no longer knows our session (timed out while we were away, or it was reset). */
  sessionLost: [WarrenError];
  /** Something arrived that does not follow the protocol; it was ignored. */
  protocolError: [WarrenError];
}

export interface Session {
  name: string;
  token: string;
  users: UserInfo[];
}

/**
 * The warren client library: connection, login, session, sending and commands, with typed events
 * for incoming messages and connection status. It has no terminal code: the terminal UI, the
 * tests, the benchmark and bots all use it.
 */
export class WarrenClient extends EventEmitter<ClientEvents> {
  readonly clientId: string;
  readonly topology: Topology;
  private readonly queue: string;
  private readonly connection: BrokerConnection;
  private readonly channel: ChannelWrapper;
  private readonly requests: PendingRequests;
  private readonly sends: PendingRequests;
  private readonly sequencer = new RoomSequencer();
  private session: Session | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private setups = 0;
  private closed = false;
  private fetchingGap = false;

  constructor(options: WarrenClientOptions) {
    super();
    this.clientId = options.clientId ?? randomUUID();
    this.topology = topologyFor(options.namespace);
    this.queue = this.topology.clientQueue(this.clientId);
    this.requests = new PendingRequests(options.requestTimeoutMs ?? 10_000);
    this.sends = new PendingRequests(options.requestTimeoutMs ?? 10_000);
    this.connection = new BrokerConnection({ url: options.amqpUrl, connectionName: `warren-client ${this.clientId}` });
    this.connection.on('status', (status) => this.emit('status', status));
    this.channel = this.connection.createChannel((channel: ConfirmChannel) => this.setup(channel), 'client');
    this.channel.on('error', (err) => this.emit('protocolError', new WarrenError(ERROR_CODES.INTERNAL, String(err))));
  }

  get name(): string | undefined {
    return this.session?.name;
  }

  get connectionStatus(): ConnectionStatus {
    return this.connection.status;
  }

  /** Resolves once connected with the client's queue ready to receive (waits through retries). */
  async connect(): Promise<void> {
    await this.connection.waitForConnect();
    await this.channel.waitForConnect();
  }

  /** Claims a name. Rejects with NAME_TAKEN or NAME_INVALID (among others) and may be called again. */
  async login(name: string): Promise<LoginOk> {
    if (this.session) throw new WarrenError(ERROR_CODES.ALREADY_LOGGED_IN, `already logged in as ${this.session.name}`);
    const reply = await this.request<LoginOk>({ type: 'login', requestId: randomUUID(), name, clientId: this.clientId, clientTs: new Date().toISOString() }, 'login');
    this.session = { name: reply.name, token: reply.token, users: reply.users };
    this.startHeartbeat(reply.heartbeatIntervalMs);
    this.deliver(this.sequencer.start(reply.lastSeq, reply.history));
    return reply;
  }

  /**
   * Sends a line to the room. Resolves with the message as the coordinator accepted it (its
   * sequence number and server time); rejects with the coordinator's reason if refused.
   */
  async send(text: string, room: string = DEFAULT_ROOM): Promise<ChatEvent> {
    const session = this.requireSession();
    const message: ChatSend = { type: 'chat', id: randomUUID(), token: session.token, from: session.name, room, text, clientTs: new Date().toISOString() };
    const accepted = this.sends.wait<ChatEvent>(message.id, 'the message');
    await this.channel.sendToQueue(this.topology.chatQueue, Buffer.from(JSON.stringify(message)), {
      persistent: true,
      contentType: 'application/json',
      replyTo: this.queue,
      correlationId: message.id,
    });
    return accepted;
  }

  async users(): Promise<UserInfo[]> {
    const reply = await this.request<UsersList>({ type: 'users', requestId: randomUUID(), token: this.requireSession().token }, '/users');
    return reply.users;
  }

  async myMessages(): Promise<ChatEvent[]> {
    const reply = await this.request<MyMessagesList>({ type: 'mymsgs', requestId: randomUUID(), token: this.requireSession().token }, '/mymsgs');
    return reply.messages;
  }

  async history(options: { afterSeq?: number; limit?: number } = {}): Promise<HistoryList> {
    return this.request<HistoryList>({ type: 'history', requestId: randomUUID(), token: this.requireSession().token, room: DEFAULT_ROOM, ...options }, 'history');
  }

  /** Frees the name. Safe to call when not logged in. */
  async logout(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.stopHeartbeat();
    try {
      await this.request({ type: 'logout', requestId: randomUUID(), token: session.token }, '/exit');
    } finally {
      this.session = undefined;
    }
  }

  /** Idempotent: logs out if still logged in (best effort), then closes the connection and every timer. */
  async close(options: { logout?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    if (options.logout !== false && this.session && this.connection.isConnected) {
      await this.logout().catch(() => undefined);
    }
    this.closed = true;
    this.stopHeartbeat();
    const error = new WarrenError(ERROR_CODES.CLOSED, 'client closed');
    this.requests.rejectAll(error);
    this.sends.rejectAll(error);
    await this.channel.close().catch(() => undefined);
    await this.connection.close();
  }

  /** Messages sent but not yet accepted or refused. */
  get unacceptedCount(): number {
    return this.sends.size;
  }

  private requireSession(): Session {
    if (!this.session) throw new WarrenError(ERROR_CODES.NOT_LOGGED_IN, 'not logged in');
    return this.session;
  }

  private async request<T>(body: CommandRequest, what: string): Promise<T> {
    if (this.closed) throw new WarrenError(ERROR_CODES.CLOSED, 'client closed');
    const requestId = 'requestId' in body && body.requestId ? body.requestId : randomUUID();
    const answer = this.requests.wait<T>(requestId, what);
    await this.channel.sendToQueue(this.topology.commandQueue, Buffer.from(JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
      replyTo: this.queue,
      correlationId: requestId,
    });
    return answer;
  }

  /** Replayed on every (re)connect: our queue must be consuming before any request is sent. */
  private async setup(channel: ConfirmChannel): Promise<void> {
    await declareSharedTopology(channel, this.topology);
    await channel.assertQueue(this.queue, { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(this.queue, this.topology.eventsExchange, this.topology.roomRoutingKey(DEFAULT_ROOM));
    await channel.bindQueue(this.queue, this.topology.eventsExchange, PRESENCE_ROUTING_KEY);
    await channel.consume(this.queue, (msg) => this.onMessage(msg), { noAck: true });
    this.setups += 1;
    // After a reconnect, anything published while we were away was dropped with our old queue.
    if (this.setups > 1 && this.session) void this.fillGap(this.sequencer.lastSeq ?? 0);
  }

  private onMessage(msg: ConsumeMessage | null): void {
    if (!msg) return;
    let parsed: ServerMessage;
    try {
      const result = serverMessageSchema.safeParse(JSON.parse(msg.content.toString('utf8')));
      if (!result.success) throw new Error(result.error.issues[0]?.message ?? 'invalid');
      parsed = result.data;
    } catch (err) {
      this.emit('protocolError', new WarrenError(ERROR_CODES.INVALID_MESSAGE, `ignored a malformed message: ${String(err)}`));
      return;
    }
    switch (parsed.type) {
      case 'message':
        this.deliver(this.sequencer.accept([parsed]));
        return;
      case 'presence':
        if (this.session) this.emit('presence', parsed);
        return;
      case 'error':
        this.onError(parsed);
        return;
      default:
        this.requests.resolve(parsed.requestId, parsed);
    }
  }

  private onError(reply: Extract<ServerMessage, { type: 'error' }>): void {
    const id = reply.requestId;
    if (id !== undefined && (this.sends.fail(id, reply) || this.requests.fail(id, reply))) {
      if (reply.code === ERROR_CODES.SESSION_UNKNOWN) this.loseSession(reply.message);
      return;
    }
    if (reply.code === ERROR_CODES.SESSION_UNKNOWN) this.loseSession(reply.message);
  }

  private loseSession(message: string): void {
    if (!this.session) return;
    this.session = undefined;
    this.stopHeartbeat();
    this.emit('sessionLost', new WarrenError(ERROR_CODES.SESSION_UNKNOWN, message));
  }

  private deliver(result: { deliver: ChatEvent[]; fetchAfter?: number }): void {
    for (const event of result.deliver) {
      this.sends.resolve(event.clientMsgId, event);
      this.emit('message', event);
    }
    if (result.fetchAfter !== undefined) void this.fillGap(result.fetchAfter);
  }

  private async fillGap(afterSeq: number): Promise<void> {
    if (this.fetchingGap || !this.session) return;
    this.fetchingGap = true;
    try {
      const page = await this.history({ afterSeq });
      this.fetchingGap = false;
      this.deliver(this.sequencer.accept(page.messages));
    } catch {
      this.fetchingGap = false;
    }
  }

  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      const session = this.session;
      if (!session || !this.connection.isConnected) return;
      this.request({ type: 'heartbeat', requestId: randomUUID(), token: session.token }, 'heartbeat').catch(() => undefined);
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}
