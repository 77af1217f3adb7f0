import { randomUUID } from 'node:crypto';
import {
  DEFAULT_ROOM,
  ERROR_CODES,
  PRESENCE_ROUTING_KEY,
  PROTOCOL_VERSION,
  WarrenError,
  isWarrenError,
  nameKey,
  type ActivatedEvent,
  type ChatEvent,
  type ChatSend,
  type CommandType,
  type ConnectionStatus,
  type ErrorReply,
  type LoginOk,
  type ReplyOf,
  type RoomEvent,
  type RoomInfo,
} from '../../shared/index.js';
import { mintClientCredentials } from '../../shared/broker-identity.js';
import { secureTopologyFor, type SecureTopology } from '../../shared/secure-topology.js';
import { Activation } from './activation.js';
import { BindingWatch } from './binding-watch.js';
import type { SendOptions, WarrenClientOptions } from './api-types.js';
import { ClientLink } from './client-link.js';
import { CommandMethods, type SessionCommand } from './command-methods.js';
import type { CommandArgs } from './command-table.js';
import { Heartbeat } from './heartbeat.js';
import { dispatchIncoming, parseDelivery, type IncomingHandlers } from './incoming.js';
import { PendingRequests } from './pending-requests.js';
import { Requester } from './requester.js';
import { RoomFeed } from './room-feed.js';

export type { ClientEvents, SendOptions, WarrenClientOptions } from './api-types.js';
export type { CommandArgs } from './command-table.js';
export type { SessionCommand } from './command-methods.js';

interface Session {
  name: string;
  token: string;
}

/** How long close() waits for its logout's answer before closing anyway (the session then times out instead). */
export const LOGOUT_WAIT_MS = 3_000;

/**
 * The warren client library: login, session, sending and commands, with typed events for incoming
 * messages and connection status. It has no terminal code: the terminal UI, the tests, the
 * benchmark and bots all use it. The parts: ClientLink (broker connection, own queue, outbox),
 * Requester (commands and their typed replies), incoming.ts (dispatch), RoomFeed (rooms in order),
 * Heartbeat and Activation. This class holds the session and wires them.
 */
export class WarrenClient extends CommandMethods {
  readonly clientId: string;
  readonly topology: SecureTopology;
  readonly secure: boolean;
  private readonly link: ClientLink;
  private readonly requests: Requester;
  /** Chat messages sent, by id: a message that reached the queue is accepted or refused; it never times out. */
  private readonly sends = new PendingRequests(undefined);
  private readonly heldIds = new Set<string>();
  private readonly feed: RoomFeed;
  private readonly activation = new Activation();
  private readonly heartbeat = new Heartbeat(() => this.beat());
  private readonly bindingWatch: BindingWatch;
  private readonly handlers: IncomingHandlers;
  private session: Session | undefined;
  private closed = false;

  constructor(options: WarrenClientOptions) {
    super();
    this.topology = secureTopologyFor(options.namespace);
    const security = options.security;
    this.secure = security.mode === 'secure';
    this.link = new ClientLink({
      amqpUrl: options.amqpUrl,
      // Secure mode: a fresh id and secret per client object; a revoked id never comes back.
      security:
        security.mode === 'secure'
          ? { mode: 'secure', credentials: mintClientCredentials(), coordinatorUser: security.coordinatorUser }
          : { mode: 'open', clientId: options.clientId ?? randomUUID() },
      topology: this.topology,
      reconnectBackoff: options.reconnectBackoff,
      refusedGraceMs: options.refusedGraceMs,
      noDelay: options.noDelay,
      heartbeatSeconds: options.heartbeatSeconds,
      nodeOrder: options.nodeOrder ?? 'spread',
    });
    this.clientId = this.link.clientId;
    this.requests = new Requester(
      { publish: (id, body, answered, onConfirmed, onRefused) => this.link.publish('command', id, body, answered, onConfirmed, onRefused) },
      options.requestTimeoutMs ?? 10_000,
    );
    this.link.on('status', (status) => this.emit('status', status));
    this.link.on('channelError', (error) => this.emit('protocolError', error));
    this.link.on('untrusted', (error) => this.emit('protocolError', error));
    this.link.on('message', (body) => this.onMessage(body));
    this.link.on('down', () => this.requests.disarmAll());
    this.link.on('reconnected', () => {
      if (!this.session) return;
      this.feed.fillAll();
      // A sign of life at once: the outage ate into the session's timeout, the next beat may be seconds away.
      this.beat();
    });
    this.feed = new RoomFeed({
      channel: this.link.channel,
      topology: this.topology,
      queue: this.link.queue,
      addQueueSetup: (setup) => this.link.addQueueSetup(setup),
      fetchHistory: (room, afterSeq, limit) => this.history({ room, afterSeq, limit }),
      show: (event, recent) => this.show(event, recent),
      canFetch: () => this.session !== undefined && !this.closed,
    });
    this.handlers = this.incomingHandlers();
    this.bindingWatch = new BindingWatch({
      link: this.link,
      eventsExchange: this.topology.eventsExchange,
      routingKeys: () => [PRESENCE_ROUTING_KEY, this.topology.roomRoutingKey(DEFAULT_ROOM), ...this.feed.boundRoutingKeys],
      notice: (notice) => this.emit('link', notice),
      refill: () => this.session && this.feed.fillAll(),
      waiting: () => this.unsettledCount > 0,
    });
    this.link.on('lost', (what) => this.emit('link', { state: 'lost', what: `${what}; reconnecting` }));
  }

  get name(): string | undefined {
    return this.session?.name;
  }

  get connectionStatus(): ConnectionStatus {
    return this.link.status;
  }

  /** False until the chat reaches its MIN_USERS threshold. */
  get active(): boolean {
    return this.activation.active;
  }

  /** Rooms I am in, general first. */
  get rooms(): RoomInfo[] {
    return this.feed.rooms;
  }

  /** Deliveries dropped because the coordinator did not publish them (secure mode). */
  get untrustedCount(): number {
    return this.link.untrustedCount;
  }

  /** Messages sent but not yet accepted or refused. */
  get unacceptedCount(): number {
    return this.sends.size;
  }

  /** Messages sent whose fate is still open: neither accepted, refused, nor known to be held until activation. */
  get unsettledCount(): number {
    return this.sends.size - [...this.heldIds].filter((id) => this.sends.has(id)).length;
  }

  /** Resolves once connected with the client's queue ready to receive (waits through retries). */
  async connect(): Promise<void> {
    await this.link.connect();
  }

  /**
   * Any command of the protocol, answered with the reply type the protocol gives it. The token and
   * the client's clock are filled in; rejects with NOT_LOGGED_IN when the command needs a session.
   */
  async command<T extends SessionCommand>(type: T, args: CommandArgs<T>): Promise<ReplyOf<T>> {
    const token = this.requireSession().token;
    return this.request(type, args, token);
  }

  protected async followRoom(room: RoomInfo, history: ChatEvent[]): Promise<void> {
    await this.feed.follow(room, history);
  }

  protected async unfollowRoom(room: string): Promise<void> {
    await this.feed.unfollow(room);
  }

  /**
   * Claims a name. Rejects with NAME_TAKEN or NAME_INVALID (among others) and may be called again;
   * a registered name needs its `password` (PASSWORD_REQUIRED, PASSWORD_WRONG otherwise).
   */
  async login(name: string, password?: string): Promise<LoginOk> {
    if (this.session) throw new WarrenError(ERROR_CODES.ALREADY_LOGGED_IN, `already logged in as ${this.session.name}`);
    this.activation.loginStarted();
    let reply: LoginOk;
    try {
      reply = await this.request('login', { name, clientId: this.clientId, protocol: PROTOCOL_VERSION, ...(password === undefined ? {} : { password }) });
      this.session = { name: reply.name, token: reply.token };
      this.activation.loginAnswered(reply.active);
      this.heartbeat.start(reply.heartbeatIntervalMs);
      // Secure mode: the coordinator bound our id to the name before answering, so the broker now lets us bind.
      await this.link.followEvents();
      // With each heartbeat, the bindings are checked and made again (binding-watch.ts).
      this.bindingWatch.start(reply.heartbeatIntervalMs);
      const rooms = reply.rooms.length > 0 ? reply.rooms : [generalPlaceholder(reply)];
      for (const room of rooms) await this.feed.follow(room, room.name === DEFAULT_ROOM ? reply.history : []);
      for (const event of reply.privateBacklog) this.feed.acceptLive(event);
      // What was published between the coordinator's answer and our bindings is fetched from history.
      if (this.secure) this.feed.fillAll();
    } catch (err) {
      this.activation.loginEnded();
      throw err;
    }
    const late = this.activation.loginEnded();
    if (late) this.onActivated(late);
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
      clientTs: new Date().toISOString(),
      ...(to === undefined ? {} : { to }),
      ...(ttlMs === undefined ? {} : { ttlMs }),
    };
    if (this.closed) throw new WarrenError(ERROR_CODES.CLOSED, 'client closed');
    const accepted = this.sends.wait<ChatEvent>(message.id, 'the message');
    this.link.publish('chat', message.id, message, accepted, undefined, (error) => this.sends.reject(message.id, error));
    return accepted;
  }

  /** Frees the name. Safe to call when not logged in. */
  async logout(): Promise<void> {
    const session = this.session;
    if (!session) return;
    // Forget the session first: answers still in flight for it are no news of a lost session.
    this.session = undefined;
    this.heartbeat.stop();
    this.bindingWatch.stop();
    try {
      await this.request('logout', {}, session.token);
    } catch (err) {
      // Unknown to the coordinator (timed out, or this logout repeated after a reconnect): the name is free.
      if (!isWarrenError(err, ERROR_CODES.SESSION_UNKNOWN)) throw err;
    }
  }

  /**
   * Idempotent: logs out if still logged in (best effort, for at most LOGOUT_WAIT_MS), then closes
   * the connection and every timer. The wait is bounded because a request's clock starts only once
   * the broker has confirmed it: a logout sent just as the connection dropped would otherwise wait
   * for a reconnect that may never come (a node gone, a login refused), and close() with it.
   */
  async close(options: { logout?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    if (options.logout !== false && this.session && this.link.isConnected) {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, LOGOUT_WAIT_MS);
      });
      await Promise.race([this.logout().catch(() => undefined), gaveUp]);
      clearTimeout(timer);
    }
    this.closed = true;
    this.heartbeat.stop();
    this.bindingWatch.stop();
    const error = new WarrenError(ERROR_CODES.CLOSED, 'client closed');
    this.requests.rejectAll(error);
    this.sends.rejectAll(error);
    this.feed.stop();
    await this.link.close();
  }

  private requireSession(): Session {
    if (!this.session) throw new WarrenError(ERROR_CODES.NOT_LOGGED_IN, 'not logged in');
    return this.session;
  }

  private async request<T extends CommandType>(type: T, args: CommandArgs<T>, token?: string): Promise<ReplyOf<T>> {
    if (this.closed) throw new WarrenError(ERROR_CODES.CLOSED, 'client closed');
    return this.requests.request(type, args, token);
  }

  private beat(): void {
    const session = this.session;
    if (!session || !this.link.isConnected) return;
    this.request('heartbeat', {}, session.token).catch(() => undefined);
  }

  /** One delivery: a message, or a batch of them handled in order as if they had come one by one. */
  private onMessage(body: Buffer): void {
    for (const message of parseDelivery(body)) {
      if (message instanceof WarrenError) this.emit('protocolError', message);
      else dispatchIncoming(message, this.handlers);
    }
  }

  /** What each incoming message does; presence and edits are news only while logged in. */
  private incomingHandlers(): IncomingHandlers {
    return {
      message: (event) => this.feed.acceptLive(event),
      'message.updated': (event) => this.session && this.emit('messageUpdated', event),
      'message.removed': (event) => this.session && this.emit('messageRemoved', event),
      'room.event': (event) => this.onRoomEvent(event),
      presence: (event) => this.session && this.emit('presence', event),
      // Coalesced by the coordinator; listeners still get one event per change, in order.
      'presence.batch': (batch) => {
        if (this.session) for (const change of batch.changes) this.emit('presence', change);
      },
      activated: (event) => this.onActivated(event),
      'chat.held': (held) => {
        if (!this.sends.hold(held.requestId)) return;
        this.heldIds.add(held.requestId);
        // A private chat starts being followed here, so activation fetches (and shows) the held message.
        this.feed.followFrom(held.room, held.seq);
        this.emit('held', { clientMsgId: held.requestId, room: held.room });
      },
      'private.status': (status) => this.emit('privateStatus', status),
      error: (reply) => this.onError(reply),
      reply: (reply) => this.requests.resolve(reply),
    };
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
    if (event.event === 'archived' && event.renamedTo !== undefined) this.feed.rename(event.room, event.renamedTo);
    this.emit('roomEvent', event);
  }

  private onActivated(event: ActivatedEvent): void {
    if (!this.activation.activated(event)) return;
    if (this.session) this.emit('activated', event);
    this.feed.fillAll();
  }

  private onError(reply: ErrorReply): void {
    const id = reply.requestId;
    const matched = id !== undefined && (this.sends.fail(id, reply) || this.requests.fail(id, reply));
    if (reply.code === ERROR_CODES.SESSION_UNKNOWN && (matched || id === undefined)) this.loseSession(reply.message);
  }

  private loseSession(message: string): void {
    if (!this.session) return;
    this.session = undefined;
    this.heartbeat.stop();
    this.bindingWatch.stop();
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
}

/** For a coordinator that sends no room list: general, as login described it. */
function generalPlaceholder(reply: LoginOk): RoomInfo {
  return { name: DEFAULT_ROOM, kind: 'public', role: 'member', members: reply.users.length, online: reply.users.length, lastSeq: reply.lastSeq, ttlMs: null };
}
