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
  isWarrenError,
  nameKey,
  serverMessageSchema,
  topologyFor,
  type ActivatedEvent,
  type ChatEvent,
  type ChatSend,
  type CommandRequest,
  type ConnectionStatus,
  type Done,
  type HistoryList,
  type LoginOk,
  type MessageRemoved,
  type MessageUpdated,
  type MyMessagesList,
  type PresenceEvent,
  type PrivateStatus,
  type RoomEvent,
  type RoomInfo,
  type RoomOk,
  type RoomsList,
  type ServerMessage,
  type Topology,
  type UserInfo,
  type UsersList,
  type WhoisInfo,
} from '../../shared/index.js';
import { Outbox } from './outbox.js';
import { PendingRequests } from './pending-requests.js';
import { RoomFeed } from './room-feed.js';

export interface WarrenClientOptions {
  amqpUrl: string;
  namespace: string;
  /** How long a request may wait for its answer. */
  requestTimeoutMs?: number;
  /** Stable id of this client; names its queue. Random by default. */
  clientId?: string;
  /** Delays between reconnection attempts (exponential with jitter); DEFAULT_BACKOFF otherwise. */
  reconnectBackoff?: { initialMs: number; maxMs: number };
}

/** After a history fetch went unanswered (coordinator away), wait this long before asking again. */

export interface ClientEvents {
  status: [ConnectionStatus];
  /** `recent` is false for the history shown on login or on joining a room (old news: no bell). */
  message: [ChatEvent, { recent: boolean }];
  messageUpdated: [MessageUpdated];
  messageRemoved: [MessageRemoved];
  roomEvent: [RoomEvent];
  presence: [PresenceEvent];
  /** The chat reached its MIN_USERS threshold; the backlog follows as 'message' events. */
  activated: [ActivatedEvent];
  /** A message was accepted but is held until the chat activates. */
  held: [{ clientMsgId: string; room: string }];
  /** Whether a private message reached its recipient now or was stored for later. */
  privateStatus: [PrivateStatus];
  /** The coordinator no longer knows our session (timed out while we were away, or it was reset). */
  sessionLost: [WarrenError];
  /** Something arrived that does not follow the protocol; it was ignored. */
  protocolError: [WarrenError];
}

export interface SendOptions {
  room?: string;
  /** A private message to this user. */
  to?: string;
  ttlMs?: number;
}

interface Session {
  name: string;
  token: string;
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
  private readonly feed: RoomFeed;
  private readonly heldIds = new Set<string>();
  private readonly outbox = new Outbox();
  private session: Session | undefined;
  private chatActive = true;
  /** True from sending a login until its answer is applied; an 'activated' seen meanwhile waits in `lateActivation`. */
  private loggingIn = false;
  private lateActivation: ActivatedEvent | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private setups = 0;
  private closed = false;

  constructor(options: WarrenClientOptions) {
    super();
    this.clientId = options.clientId ?? randomUUID();
    this.topology = topologyFor(options.namespace);
    this.queue = this.topology.clientQueue(this.clientId);
    this.requests = new PendingRequests(options.requestTimeoutMs ?? 10_000);
    // A chat message that reached the queue will be accepted or refused; it never times out.
    this.sends = new PendingRequests(undefined);
    this.connection = new BrokerConnection({
      url: options.amqpUrl,
      connectionName: `warren-client ${this.clientId}`,
      ...(options.reconnectBackoff ? { backoff: options.reconnectBackoff } : {}),
    });
    this.connection.on('status', (status) => this.emit('status', status));
    this.channel = this.connection.createChannel((channel: ConfirmChannel) => this.setup(channel), 'client');
    this.channel.on('error', (err) => this.emit('protocolError', new WarrenError(ERROR_CODES.INTERNAL, String(err))));
    this.feed = new RoomFeed({
      channel: this.channel,
      topology: this.topology,
      queue: this.queue,
      fetchHistory: (room, afterSeq, limit) => this.history({ room, afterSeq, limit }),
      show: (event, recent) => this.show(event, recent),
      canFetch: () => this.session !== undefined && !this.closed,
    });
  }

  get name(): string | undefined {
    return this.session?.name;
  }

  get connectionStatus(): ConnectionStatus {
    return this.connection.status;
  }

  /** False until the chat reaches its MIN_USERS threshold. */
  get active(): boolean {
    return this.chatActive;
  }

  /** Rooms I am in, general first. */
  get rooms(): RoomInfo[] {
    return this.feed.rooms;
  }

  /** Resolves once connected with the client's queue ready to receive (waits through retries). */
  async connect(): Promise<void> {
    await this.connection.waitForConnect();
    await this.channel.waitForConnect();
  }

  /** Claims a name. Rejects with NAME_TAKEN or NAME_INVALID (among others) and may be called again. */
  async login(name: string): Promise<LoginOk> {
    if (this.session) throw new WarrenError(ERROR_CODES.ALREADY_LOGGED_IN, `already logged in as ${this.session.name}`);
    this.loggingIn = true;
    this.lateActivation = undefined;
    let reply: LoginOk;
    try {
      reply = await this.request<LoginOk>({ type: 'login', requestId: randomUUID(), name, clientId: this.clientId, clientTs: now() }, 'login');
      this.session = { name: reply.name, token: reply.token };
      this.chatActive = reply.active;
      this.startHeartbeat(reply.heartbeatIntervalMs);
      const rooms = reply.rooms.length > 0 ? reply.rooms : [generalPlaceholder(reply)];
      for (const room of rooms) await this.feed.follow(room, room.name === DEFAULT_ROOM ? reply.history : []);
      for (const event of reply.privateBacklog) this.feed.acceptLive(event);
    } finally {
      this.loggingIn = false;
    }
    // The login that activates the chat is answered as waiting; its 'activated' may have come first.
    const late = this.lateActivation;
    this.lateActivation = undefined;
    if (late && !reply.active) this.onActivated(late);
    return reply;
  }

  /**
   * Sends a line to a room (general by default) or privately to a user. Resolves with the message
   * as the coordinator accepted it (its sequence number and server time); rejects with the
   * coordinator's reason if refused. A message held until the chat activates resolves when shown.
   */
  async send(text: string, options: SendOptions | string = {}): Promise<ChatEvent> {
    const { room = DEFAULT_ROOM, to, ttlMs } = typeof options === 'string' ? { room: options } : options;
    const session = this.requireSession();
    const message: ChatSend = {
      type: 'chat',
      id: randomUUID(),
      token: session.token,
      from: session.name,
      room,
      text,
      clientTs: now(),
      ...(to === undefined ? {} : { to }),
      ...(ttlMs === undefined ? {} : { ttlMs }),
    };
    if (this.closed) throw new WarrenError(ERROR_CODES.CLOSED, 'client closed');
    const accepted = this.sends.wait<ChatEvent>(message.id, 'the message');
    this.enqueue(this.topology.chatQueue, message.id, message, accepted);
    return accepted;
  }

  async users(): Promise<UserInfo[]> {
    return (await this.request<UsersList>({ type: 'users', requestId: randomUUID(), token: this.token() }, '/users')).users;
  }

  async myMessages(): Promise<ChatEvent[]> {
    return (await this.request<MyMessagesList>({ type: 'mymsgs', requestId: randomUUID(), token: this.token() }, '/mymsgs')).messages;
  }

  async history(options: { room?: string; afterSeq?: number; limit?: number } = {}): Promise<HistoryList> {
    const { room = DEFAULT_ROOM, ...rest } = options;
    return this.request<HistoryList>({ type: 'history', requestId: randomUUID(), token: this.token(), room, ...rest }, '/history');
  }

  async createRoom(room: string, options: { secret?: boolean } = {}): Promise<RoomInfo> {
    const reply = await this.request<RoomOk>({ type: 'create_room', requestId: randomUUID(), token: this.token(), room, secret: options.secret ?? false, clientTs: now() }, '/create');
    await this.feed.follow(reply.room, reply.history);
    return reply.room;
  }

  /** Joins a room; its recent history arrives as 'message' events before this resolves. */
  async joinRoom(room: string): Promise<RoomInfo> {
    const reply = await this.request<RoomOk>({ type: 'join_room', requestId: randomUUID(), token: this.token(), room, clientTs: now() }, '/join');
    await this.feed.follow(reply.room, reply.history);
    return reply.room;
  }

  async leaveRoom(room: string): Promise<string> {
    const reply = await this.request<Done>({ type: 'leave_room', requestId: randomUUID(), token: this.token(), room, clientTs: now() }, '/leave');
    await this.feed.unfollow(room);
    return reply.message;
  }

  async listRooms(): Promise<RoomInfo[]> {
    return (await this.request<RoomsList>({ type: 'rooms', requestId: randomUUID(), token: this.token() }, '/rooms')).rooms;
  }

  async invite(user: string, room: string): Promise<string> {
    return this.memberAction('invite', user, room);
  }

  async kick(user: string, room: string): Promise<string> {
    return this.memberAction('kick', user, room);
  }

  async promote(user: string, room: string): Promise<string> {
    return this.memberAction('promote', user, room);
  }

  async whois(user: string): Promise<WhoisInfo> {
    return this.request<WhoisInfo>({ type: 'whois', requestId: randomUUID(), token: this.token(), user }, '/whois');
  }

  async edit(num: number, text: string): Promise<string> {
    return (await this.request<Done>({ type: 'edit', requestId: randomUUID(), token: this.token(), num, text, clientTs: now() }, '/edit')).message;
  }

  async delete(num: number): Promise<string> {
    return (await this.request<Done>({ type: 'delete', requestId: randomUUID(), token: this.token(), num, clientTs: now() }, '/delete')).message;
  }

  async setRoomTtl(room: string, ttlMs: number | null): Promise<string> {
    return (await this.request<Done>({ type: 'room_ttl', requestId: randomUUID(), token: this.token(), room, ttlMs, clientTs: now() }, '/roomttl')).message;
  }

  /** Frees the name. Safe to call when not logged in. */
  async logout(): Promise<void> {
    const session = this.session;
    if (!session) return;
    // Forget the session first: answers still in flight for it are no news of a lost session.
    this.session = undefined;
    this.stopHeartbeat();
    try {
      await this.request({ type: 'logout', requestId: randomUUID(), token: session.token, clientTs: now() }, '/exit');
    } catch (err) {
      // Unknown to the coordinator (timed out, or this logout repeated after a reconnect): the name is free.
      if (!isWarrenError(err, ERROR_CODES.SESSION_UNKNOWN)) throw err;
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
    this.outbox.close();
    this.feed.stop();
    await this.channel.close().catch(() => undefined);
    await this.connection.close();
  }

  /** Messages sent but not yet accepted or refused. */
  get unacceptedCount(): number {
    return this.sends.size;
  }

  /** Messages sent whose fate is still open: neither accepted, refused, nor known to be held until activation. */
  get unsettledCount(): number {
    return this.sends.size - [...this.heldIds].filter((id) => this.sends.has(id)).length;
  }

  private async memberAction(type: 'invite' | 'kick' | 'promote', user: string, room: string): Promise<string> {
    return (await this.request<Done>({ type, requestId: randomUUID(), token: this.token(), user, room, clientTs: now() }, `/${type}`)).message;
  }

  private token(): string {
    return this.requireSession().token;
  }

  private requireSession(): Session {
    if (!this.session) throw new WarrenError(ERROR_CODES.NOT_LOGGED_IN, 'not logged in');
    return this.session;
  }

  private async request<T>(body: CommandRequest, what: string): Promise<T> {
    if (this.closed) throw new WarrenError(ERROR_CODES.CLOSED, 'client closed');
    const requestId = 'requestId' in body && body.requestId ? body.requestId : randomUUID();
    const answer = this.requests.wait<T>(requestId, what);
    // The deadline starts when the broker has the request, not while it waits for a connection.
    this.enqueue(this.topology.commandQueue, requestId, body, answer, () => this.requests.arm(requestId));
    return answer;
  }

  /** Publishes through the outbox (in order, again after a reconnect) until answered. */
  private enqueue(queue: string, id: string, body: unknown, answered: Promise<unknown>, onConfirmed?: () => void): void {
    this.outbox.add({
      id,
      queue,
      content: Buffer.from(JSON.stringify(body)),
      options: { persistent: true, contentType: 'application/json', replyTo: this.queue, correlationId: id },
      onConfirmed,
    });
    const forget = (): void => this.outbox.remove(id);
    answered.then(forget, forget);
  }

  /** Replayed on every (re)connect: our queue must be consuming before any request is sent. */
  private async setup(channel: ConfirmChannel): Promise<void> {
    await declareSharedTopology(channel, this.topology);
    await channel.assertQueue(this.queue, { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(this.queue, this.topology.eventsExchange, this.topology.roomRoutingKey(DEFAULT_ROOM));
    await channel.bindQueue(this.queue, this.topology.eventsExchange, PRESENCE_ROUTING_KEY);
    // No acks on our own queue: it dies with the connection anyway, and what it loses is fetched from history.
    await channel.consume(this.queue, (msg) => this.onMessage(msg), { noAck: true });
    this.setups += 1;
    channel.on('close', () => {
      this.outbox.detach(channel);
      this.requests.disarmAll();
    });
    // Answers can reach us now: send (again) everything unanswered, in the order it was sent.
    this.outbox.attach(channel);
    // After a reconnect, anything published while we were away was dropped with our old queue.
    if (this.setups > 1 && this.session) this.feed.fillAll();
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
        this.feed.acceptLive(parsed);
        return;
      case 'message.updated':
        if (this.session) this.emit('messageUpdated', parsed);
        return;
      case 'message.removed':
        if (this.session) this.emit('messageRemoved', parsed);
        return;
      case 'room.event':
        this.onRoomEvent(parsed);
        return;
      case 'presence':
        if (this.session) this.emit('presence', parsed);
        return;
      case 'presence.batch':
        // Coalesced by the coordinator; listeners still get one event per change, in order.
        if (this.session) for (const change of parsed.changes) this.emit('presence', change);
        return;
      case 'activated':
        this.onActivated(parsed);
        return;
      case 'chat.held':
        if (this.sends.hold(parsed.requestId)) {
          this.heldIds.add(parsed.requestId);
          // A private chat starts being followed here, so activation fetches (and shows) the held message.
          this.feed.followFrom(parsed.room, parsed.seq);
          this.emit('held', { clientMsgId: parsed.requestId, room: parsed.room });
        }
        return;
      case 'private.status':
        this.emit('privateStatus', parsed);
        return;
      case 'error':
        this.onError(parsed);
        return;
      default:
        this.requests.resolve(parsed.requestId, parsed);
    }
  }

  private lastKick: string | undefined;

  private onRoomEvent(event: RoomEvent): void {
    if (!this.session) return;
    const aboutMe = nameKey(event.name) === nameKey(this.session.name);
    if (aboutMe && event.event === 'invited' && !this.feed.isFollowing(event.room)) {
      void this.joinRoom(event.room).catch(() => undefined);
    }
    if (aboutMe && event.event === 'kicked') {
      // The one kicked gets the notice twice, the room's copy and one sent directly: identical, same serverTs.
      if (this.lastKick === `${event.room} ${event.serverTs}`) return;
      this.lastKick = `${event.room} ${event.serverTs}`;
      void this.feed.unfollow(event.room);
    }
    this.emit('roomEvent', event);
  }

  private onActivated(event: ActivatedEvent): void {
    if (this.loggingIn) {
      this.lateActivation = event;
      return;
    }
    if (this.chatActive) return;
    this.chatActive = true;
    if (this.session) this.emit('activated', event);
    this.feed.fillAll();
  }

  private onError(reply: Extract<ServerMessage, { type: 'error' }>): void {
    const id = reply.requestId;
    const matched = id !== undefined && (this.sends.fail(id, reply) || this.requests.fail(id, reply));
    if (reply.code === ERROR_CODES.SESSION_UNKNOWN && (matched || id === undefined)) this.loseSession(reply.message);
  }

  private loseSession(message: string): void {
    if (!this.session) return;
    this.session = undefined;
    this.stopHeartbeat();
    this.emit('sessionLost', new WarrenError(ERROR_CODES.SESSION_UNKNOWN, message));
    // Everything still waiting carries the lost session's token: the coordinator refuses it all.
    this.sends.rejectAll(new WarrenError(ERROR_CODES.SESSION_UNKNOWN, `not sent: the session was lost (${message})`));
    this.requests.rejectAll(new WarrenError(ERROR_CODES.SESSION_UNKNOWN, `the session was lost (${message})`));
  }

  /** Every message reaches the listeners through here, in its room's order, once. */
  private show(event: ChatEvent, recent: boolean): void {
    this.sends.resolve(event.clientMsgId, event);
    this.heldIds.delete(event.clientMsgId);
    this.emit('message', event, { recent });
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

function now(): string {
  return new Date().toISOString();
}

/** For a coordinator that sends no room list: general, as login described it. */
function generalPlaceholder(reply: LoginOk): RoomInfo {
  return { name: DEFAULT_ROOM, kind: 'public', role: 'member', members: reply.users.length, online: reply.users.length, lastSeq: reply.lastSeq, ttlMs: null };
}
