import { randomBytes, randomUUID } from 'node:crypto';
import { ERROR_CODES, FIRST_PROTOCOL_VERSION, PROTOCOL_VERSION, WarrenError, checkUserName, lookalikeKeys, nameKey, type UserInfo } from '../../shared/index.js';
import type { LiveSession, Store } from '../store/store.js';

/** Tokens whose name key `nameKeyOfToken` keeps (about 100 bytes each). */
const TOKEN_NAMES_KEPT = 10_000;

/** A live session: who holds a name, where to reach them, and their last sign of life (ms since the epoch). */
export type Session = LiveSession;

export type LoginResult = { session: Session; resumed: boolean };

/**
 * Who holds which name. A name is taken while anyone online holds it or a name that looks like it
 * (case, Unicode confusables: `ALICE`, `аlice` with a Cyrillic а, `a1ice`); a session is proven by its token.
 *
 * The store is the registry's memory (store/session-table.ts): several coordinators sharing one
 * store see the same sessions, a name claimed through one is taken for all (the store's unique
 * look-alike keys decide a race), and a session logged in through one coordinator is served by
 * whichever takes its input next. A restarted coordinator keeps every session: none expires before
 * the coordinator has been reachable for a whole timeout (server/sweeps/session-sweep.ts).
 */
export class Registry {
  /** Sessions looked up by token during one turn of the input pipeline (`duringTurn`); none outside one. */
  private turnTokens: Map<string, Session | undefined> | undefined;
  /** Signs of life of the turn, written together at its end (`writeTouches`). */
  private turnTouches: Map<string, number> | undefined;
  /** Whether a room's events may be batched, as the store said once this turn; undefined until asked, and again after a login or logout. */
  private turnRoomsBatch: boolean | undefined;
  /** Token → name key of sessions seen lately, for the rate limiter (see `nameKeyOfToken`). */
  private readonly tokenNames = new Map<string, string>();
  /** The protocol of each reply queue whose session the turn has looked up (by token or by queue). */
  private turnQueues: Map<string, number | undefined> | undefined;

  constructor(
    private readonly store: Store,
    private readonly timeoutMs: number,
    nowMs: number,
  ) {
    store.sessionTable.startOver(lookalikeKeys, nowMs);
  }

  /**
   * Claims a name. A repeated login from the same client for the same name (a retry after a lost
   * reply, or a redelivery after a crash) gets the existing session back instead of a refusal.
   */
  login(rawName: string, clientId: string, replyQueue: string, now: Date, protocol: number = FIRST_PROTOCOL_VERSION): LoginResult {
    const check = checkUserName(rawName);
    if (!check.ok) throw new WarrenError(check.code, `invalid name: ${check.reason}`);
    const existing = this.resumeOrRefuse(check.name, clientId, now);
    if (existing) return { session: existing, resumed: true };
    const keys = lookalikeKeys(check.name);
    const session: Session = {
      sessionId: randomUUID(),
      token: randomBytes(24).toString('base64url'),
      name: check.name,
      nameKey: nameKey(check.name),
      clientId,
      replyQueue,
      since: now.toISOString(),
      protocol,
      lastSeenMs: now.getTime(),
    };
    if (this.store.sessionTable.claim({ ...session, lookalikeKey: keys.key, typedKey: keys.typedKey })) {
      // An older client online now changes whether rooms take batches, and what its queue takes.
      this.turnRoomsBatch = undefined;
      this.turnQueues?.delete(replyQueue);
      return { session, resumed: false };
    }
    // Another coordinator claimed the name (or one like it) since we looked: it is theirs, or ours after all.
    const claimed = this.resumeOrRefuse(check.name, clientId, now);
    if (claimed) return { session: claimed, resumed: true };
    throw new WarrenError(ERROR_CODES.NAME_TAKEN, `the name "${check.name}" is taken; choose another`);
  }

  authenticate(token: string): Session {
    const session = this.withToken(token);
    if (!session) {
      throw new WarrenError(ERROR_CODES.SESSION_UNKNOWN, 'unknown or expired session; log in again');
    }
    return session;
  }

  /** The session of this token, if any (no refusal: for checks made before a handler runs). */
  withToken(token: string): Session | undefined {
    const cache = this.turnTokens;
    if (!cache) return this.store.sessionTable.find('token', token);
    if (cache.has(token)) return cache.get(token);
    const session = this.store.sessionTable.find('token', token);
    cache.set(token, session);
    if (session) this.turnQueues?.set(session.replyQueue, session.protocol);
    return session;
  }

  /**
   * Runs one turn of the input pipeline (its store transaction, then the start of its publishes)
   * with its look-ups remembered: the sender guard and the handler each authenticate every input,
   * and a client sends several in a turn; whether rooms take batches is asked once. Only for the
   * turn: another coordinator may end a session between two turns. Its signs of life wait for
   * `writeTouches`, which the turn calls before it commits.
   */
  duringTurn<T>(fn: () => T): T {
    this.turnTokens = new Map();
    this.turnTouches = new Map();
    this.turnRoomsBatch = undefined;
    this.turnQueues = new Map();
    try {
      return fn();
    } finally {
      this.turnTokens = undefined;
      this.turnTouches = undefined;
      this.turnRoomsBatch = undefined;
      this.turnQueues = undefined;
    }
  }

  /**
   * The name key of the session of this token, for the rate limiter that runs when an input
   * arrives, before its turn: remembered across turns (the last TOKEN_NAMES_KEPT tokens), since a
   * token names one session and a session one name for good. A token whose session has ended
   * since still answers its name: its input then counts against that name's budget and is
   * refused as SESSION_UNKNOWN by the handler. Looking it up in the store at every arrival was
   * 6% of the coordinator's busy time at full speed.
   */
  nameKeyOfToken(token: string): string | undefined {
    const known = this.tokenNames.get(token);
    if (known !== undefined) return known;
    const session = this.withToken(token);
    if (session) this.rememberName(token, session.nameKey);
    return session?.nameKey;
  }

  private rememberName(token: string, nameKey: string): void {
    if (this.tokenNames.size >= TOKEN_NAMES_KEPT) {
      const oldest = this.tokenNames.keys().next().value;
      if (oldest !== undefined) this.tokenNames.delete(oldest);
    }
    this.tokenNames.set(token, nameKey);
  }

  /** The online session holding this name, if any. */
  find(key: string): Session | undefined {
    return this.store.sessionTable.find('nameKey', key);
  }

  /**
   * A sign of life. Written to the store when the stored time is a quarter of the timeout old (a
   * heartbeat comes every third of it), so a chat message between heartbeats costs no write.
   */
  touch(session: Session, now: Date): void {
    const nowMs = now.getTime();
    if (nowMs - session.lastSeenMs < this.timeoutMs / 4) return;
    session.lastSeenMs = nowMs;
    if (this.turnTouches) this.turnTouches.set(session.sessionId, nowMs);
    else this.store.sessionTable.touch(session.sessionId, nowMs);
  }

  /**
   * The turn's signs of life, at the end of its transaction and in one order (by session id):
   * a session row is then never locked before a room's counter row in a turn, which with several
   * coordinators on PostgreSQL made deadlocks between a chat turn and a heartbeat turn.
   */
  writeTouches(): void {
    const touches = this.turnTouches;
    // The commit follows: a sign of life after it (the rest of the turn) is written at once.
    this.turnTouches = undefined;
    if (!touches || touches.size === 0) return;
    for (const sessionId of [...touches.keys()].sort()) this.store.sessionTable.touch(sessionId, touches.get(sessionId)!);
  }

  /** Ends a session; false if it had ended already (another coordinator's sweep, a second logout). */
  remove(session: Session): boolean {
    this.turnTokens?.set(session.token, undefined);
    this.turnQueues?.delete(session.replyQueue);
    this.turnRoomsBatch = undefined;
    return this.store.sessionTable.remove(session.sessionId);
  }

  /** Sessions silent for longer than the timeout. */
  expired(now: Date): Session[] {
    return this.store.sessionTable.silentSince(now.getTime() - this.timeoutMs);
  }

  /** Every live session. */
  sessions(): Session[] {
    return this.store.sessionTable.all();
  }

  online(): UserInfo[] {
    return this.sessions()
      .map((session) => ({ name: session.name, since: session.since }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  get size(): number {
    return this.store.sessionTable.count();
  }

  /**
   * Whether several messages may share one delivery (shared/delivery-batch.ts). `queue`: a reply
   * queue, whose own client decides; none: a room's events, which every client online receives
   * (counted in the store once per turn).
   */
  takesBatches(queue?: string): boolean {
    if (queue === undefined) {
      if (!this.turnTokens) return this.roomsTakeBatches();
      this.turnRoomsBatch ??= this.roomsTakeBatches();
      return this.turnRoomsBatch;
    }
    const queues = this.turnQueues;
    let protocol: number | undefined;
    if (queues?.has(queue)) protocol = queues.get(queue);
    else {
      protocol = this.store.sessionTable.find('replyQueue', queue)?.protocol;
      queues?.set(queue, protocol);
    }
    return protocol !== undefined && protocol >= PROTOCOL_VERSION;
  }

  private roomsTakeBatches(): boolean {
    return this.store.sessionTable.olderThan(PROTOCOL_VERSION) === 0;
  }

  /** The online session holding `name` or a name that looks like it. */
  holderOf(name: string): Session | undefined {
    const keys = lookalikeKeys(name);
    return this.store.sessionTable.holderOf(keys.key, keys.typedKey);
  }

  /** The holder of `name` or a look-alike: this client's own session of this very name (touched), or a refusal. */
  private resumeOrRefuse(name: string, clientId: string, now: Date): Session | undefined {
    const holder = this.holderOf(name);
    if (!holder) return undefined;
    if (holder.clientId === clientId && holder.name === name) {
      this.touch(holder, now);
      return holder;
    }
    throw new WarrenError(ERROR_CODES.NAME_TAKEN, `the name "${holder.name}" is taken; choose another`);
  }
}
