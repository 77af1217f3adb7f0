import { ERROR_CODES, isWarrenError, nameKey, type LoginOk } from '../../shared/index.js';
import type { WarrenClient } from '../../client/lib/warren-client.js';
import { WEB_CLOSE_CODES, WEB_ERROR_CODES, type BrowserFrame, type ControlFrame, type SessionFrame, type WebError, type WebWelcome } from '../../shared/web-protocol.js';
import { forwardClientEvents } from './client-events.js';
import { ROOM_CHANGING, runCall } from './session-calls.js';
import { ReplayBuffer } from './replay-buffer.js';
import type { WebCounters } from './stats.js';

/** When to look again at the rooms after a room event (see roomsSettling). */
const ROOM_SETTLE_CHECKS_MS = [250, 1500];

/** Login failures that leave the client's broker connection unusable. */
const CONNECTION_FAILURES: ReadonlySet<string> = new Set([ERROR_CODES.BROKER_UNREACHABLE, ERROR_CODES.BROKER_ACCESS_REFUSED, ERROR_CODES.CLOSED, ERROR_CODES.NOT_CONNECTED, ERROR_CODES.REQUEST_TIMEOUT]);

/** How many refs a session remembers: far more than a page has unanswered at once. */
const SEEN_REFS_KEPT = 1000;

/** Where a session's frames go: the open WebSocket (an interface, so tests and the gateway agree). */
export interface FrameSink {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface WebSessionOptions {
  token: string;
  createClient(): WarrenClient;
  replayFrames: number;
  resumeGraceMs: number;
  counters: WebCounters;
  onEnded(token: string): void;
}

/**
 * One browser session: its WarrenClient (made at the first login, so a page that never logs in
 * costs no broker connection), its numbered frames, and the socket currently showing them. The
 * session outlives a dropped socket by the resume grace; a socket that resumes gets what it missed.
 */
export class WebSession {
  private client: WarrenClient | undefined;
  private sink: FrameSink | undefined;
  private readonly buffer: ReplayBuffer;
  private graceTimer: NodeJS.Timeout | undefined;
  private loginBusy = false;
  private welcome: WebWelcome | undefined;
  private readonly online = new Map<string, string>();
  private ended = false;
  /** Refs already taken, so a page that sends again what a dropped socket may have carried is not served twice. */
  private readonly seenRefs = new Set<string>();
  private lastRooms = '';
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: WebSessionOptions) {
    this.buffer = new ReplayBuffer(options.replayFrames);
  }

  get token(): string {
    return this.options.token;
  }

  /** Shows the session on `sink`, replaying the frames after `lastSeq` (a resume) or starting afresh. */
  attach(sink: FrameSink, lastSeq: number | undefined): void {
    if (this.sink && this.sink !== sink) this.sink.close(WEB_CLOSE_CODES.TAKEN_OVER, 'this session continued on another connection');
    this.sink = sink;
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    const missed = lastSeq === undefined ? [] : this.buffer.after(lastSeq);
    const hello: ControlFrame = {
      type: 'hello.ok',
      token: this.token,
      resumed: lastSeq !== undefined,
      loggedIn: this.welcome !== undefined,
      complete: missed !== undefined,
      lastSeq: missed === undefined ? this.buffer.lastSeq : (lastSeq ?? this.buffer.lastSeq),
      replayedUntil: this.buffer.lastSeq,
      ...(missed === undefined ? { state: { welcome: this.welcome, online: [...this.online.values()], rooms: this.client?.rooms ?? [] } } : {}),
    };
    this.write(hello);
    for (const frame of missed ?? []) this.write(frame);
  }

  /** The socket closed: wait the grace for a resume, then end. */
  detach(sink: FrameSink): void {
    if (this.sink !== sink) return;
    this.sink = undefined;
    if (this.ended) return;
    this.graceTimer = setTimeout(() => void this.end(), this.options.resumeGraceMs);
    this.graceTimer.unref();
  }

  async handle(frame: Exclude<BrowserFrame, { type: 'hello' }>): Promise<void> {
    if (this.seenRefs.has(frame.ref)) return;
    this.seenRefs.add(frame.ref);
    if (this.seenRefs.size > SEEN_REFS_KEPT) this.seenRefs.delete(this.seenRefs.values().next().value as string);
    if (frame.type === 'login') return this.login(frame.ref, frame.name, frame.password);
    if (frame.type === 'logout') {
      this.emit({ type: 'result', ref: frame.ref, ok: true, value: null });
      return this.end();
    }
    const client = this.client;
    if (!client || !this.welcome) return this.fail(frame.ref, { code: WEB_ERROR_CODES.NOT_LOGGED_IN, message: 'log in first' });
    try {
      if (frame.type === 'send') {
        const event = await client.send(frame.text, { ...(frame.to === undefined ? { room: frame.room } : { to: frame.to }), ...(frame.ttlMs === undefined ? {} : { ttlMs: frame.ttlMs }) });
        this.emit({ type: 'result', ref: frame.ref, ok: true, value: { num: event.num, room: event.room, seq: event.seq } });
        return;
      }
      const value = await runCall(client, frame.call);
      this.emit({ type: 'result', ref: frame.ref, ok: true, value });
      if (ROOM_CHANGING.has(frame.call.method)) this.roomsChanged();
    } catch (err) {
      this.fail(frame.ref, errorOf(err));
    }
  }

  /** Idempotent: logs the client out, closes it and the socket, and forgets the session. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.graceTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.sink?.close(WEB_CLOSE_CODES.ENDED, 'session ended');
    this.sink = undefined;
    this.options.onEnded(this.token);
    await this.client?.close().catch(() => undefined);
  }

  private async login(ref: string, name: string, password: string | undefined): Promise<void> {
    if (this.welcome) return this.fail(ref, { code: ERROR_CODES.ALREADY_LOGGED_IN, message: `already logged in as ${this.welcome.name}` });
    if (this.loginBusy) return this.fail(ref, { code: ERROR_CODES.ALREADY_LOGGED_IN, message: 'a login is already under way' });
    this.loginBusy = true;
    try {
      const client = this.client ?? this.startClient();
      await client.connect();
      const reply = await client.login(name, password);
      if (this.ended) return;
      this.welcome = welcomeOf(reply);
      this.lastRooms = JSON.stringify(client.rooms);
      for (const user of reply.users) this.online.set(nameKey(user.name), user.name);
      this.emit({ type: 'welcome', welcome: this.welcome });
      this.emit({ type: 'result', ref, ok: true, value: this.welcome });
    } catch (err) {
      this.options.counters.add('loginsRefused');
      // A client that could not reach or enter the broker is not reused: the next login starts a fresh one.
      if (this.client && (!isWarrenError(err) || CONNECTION_FAILURES.has(err.code))) {
        const failed = this.client;
        this.client = undefined;
        void failed.close({ logout: false }).catch(() => undefined);
      }
      this.fail(ref, errorOf(err));
    } finally {
      this.loginBusy = false;
    }
  }

  private startClient(): WarrenClient {
    const client = this.options.createClient();
    this.client = client;
    // The coordinator forgot the session: the page may log in again, as the terminal can.
    client.on('sessionLost', () => (this.welcome = undefined));
    forwardClientEvents(
      client,
      (frame) => this.emit(frame),
      () => this.roomsSettling(),
      (name, online) => (online ? this.online.set(nameKey(name), name) : this.online.delete(nameKey(name))),
    );
    return client;
  }

  /** Sends the rooms I am in when they differ from what the page last got. */
  private roomsChanged(): void {
    if (!this.client || !this.welcome) return;
    const rooms = this.client.rooms;
    const signature = JSON.stringify(rooms);
    if (signature === this.lastRooms) return;
    this.lastRooms = signature;
    this.emit({ type: 'rooms', rooms });
  }

  /**
   * After a room event the client may still be joining (an invitation is followed by a join of
   * its own): look again a little later, so the page's list catches up without a poll.
   */
  private roomsSettling(): void {
    this.roomsChanged();
    for (const delay of ROOM_SETTLE_CHECKS_MS) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.ended) this.roomsChanged();
      }, delay);
      timer.unref();
      this.timers.add(timer);
    }
  }

  private fail(ref: string, error: WebError): void {
    this.emit({ type: 'result', ref, ok: false, error });
  }

  private emit(frame: SessionFrame): void {
    if (this.ended) return;
    this.write(this.buffer.push(frame));
  }

  private write(frame: object): void {
    if (!this.sink) return;
    this.options.counters.add('framesOut');
    this.sink.send(JSON.stringify(frame));
  }
}

function welcomeOf(reply: LoginOk): WebWelcome {
  return { name: reply.name, room: reply.room, users: reply.users, rooms: reply.rooms, active: reply.active, minUsers: reply.minUsers };
}

/** A failure as the page sees it: the library's code and message; anything else without its internals. */
function errorOf(err: unknown): WebError {
  if (isWarrenError(err)) return { code: err.code, message: err.message };
  return { code: ERROR_CODES.INTERNAL, message: 'the gateway failed to carry out this request' };
}
