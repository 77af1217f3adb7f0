import { randomBytes, randomUUID } from 'node:crypto';
import { ERROR_CODES, FIRST_PROTOCOL_VERSION, PROTOCOL_VERSION, WarrenError, checkUserName, nameKey, type UserInfo } from '../../shared/index.js';
import { LookalikeIndex } from '../lookalike-index.js';
import type { SessionRecord, Store } from '../store/store.js';

export interface Session extends SessionRecord {
  /** Milliseconds since the epoch of the last sign of life from this client. */
  lastSeenMs: number;
}

export type LoginResult = { session: Session; resumed: boolean };

/**
 * Who holds which name. A name is taken while anyone online holds it or a name that looks like it
 * (case, Unicode confusables: `ALICE`, `аlice` with a Cyrillic а, `a1ice`); a session is proven by its token.
 * Kept in memory for speed and written through to the store, so a restarted coordinator keeps
 * every session (each gets a fresh timeout from the restart on).
 */
export class Registry {
  private readonly byKey = new Map<string, Session>();
  private readonly byToken = new Map<string, Session>();
  private readonly lookalikes = new LookalikeIndex<Session>();
  /** Sessions whose client speaks a protocol older than this coordinator's (no batched deliveries). */
  private olderClients = 0;
  private readonly byQueue = new Map<string, Session>();

  constructor(
    private readonly store: Store,
    private readonly timeoutMs: number,
    nowMs: number,
  ) {
    for (const record of store.sessions()) this.index({ ...record, lastSeenMs: nowMs });
  }

  /**
   * Claims a name. A repeated login from the same client for the same name (a retry after a lost
   * reply, or a redelivery after a crash) gets the existing session back instead of a refusal.
   */
  login(rawName: string, clientId: string, replyQueue: string, now: Date, protocol: number = FIRST_PROTOCOL_VERSION): LoginResult {
    const check = checkUserName(rawName);
    if (!check.ok) throw new WarrenError(check.code, `invalid name: ${check.reason}`);
    const key = nameKey(check.name);
    const holder = this.lookalikes.holderOf(check.name);
    if (holder) {
      if (holder.clientId === clientId && holder.name === check.name) {
        holder.lastSeenMs = now.getTime();
        return { session: holder, resumed: true };
      }
      throw new WarrenError(ERROR_CODES.NAME_TAKEN, `the name "${holder.name}" is taken; choose another`);
    }
    const session: Session = {
      sessionId: randomUUID(),
      token: randomBytes(24).toString('base64url'),
      name: check.name,
      nameKey: key,
      clientId,
      replyQueue,
      since: now.toISOString(),
      protocol,
      lastSeenMs: now.getTime(),
    };
    this.store.saveSession(session);
    this.index(session);
    return { session, resumed: false };
  }

  authenticate(token: string): Session {
    const session = this.byToken.get(token);
    if (!session) {
      throw new WarrenError(ERROR_CODES.SESSION_UNKNOWN, 'unknown or expired session; log in again');
    }
    return session;
  }

  /** The session of this token, if any (no refusal: for checks made before a handler runs). */
  withToken(token: string): Session | undefined {
    return this.byToken.get(token);
  }

  /** The online session holding this name, if any. */
  find(key: string): Session | undefined {
    return this.byKey.get(key);
  }

  touch(session: Session, now: Date): void {
    session.lastSeenMs = now.getTime();
  }

  remove(session: Session): void {
    if (this.byToken.get(session.token) !== session) return;
    this.byToken.delete(session.token);
    this.byKey.delete(session.nameKey);
    if (this.byQueue.get(session.replyQueue) === session) this.byQueue.delete(session.replyQueue);
    if (session.protocol < PROTOCOL_VERSION) this.olderClients -= 1;
    this.lookalikes.release(session);
    this.store.deleteSession(session.sessionId);
  }

  /** Sessions silent for longer than the timeout. */
  expired(now: Date): Session[] {
    const cutoff = now.getTime() - this.timeoutMs;
    return [...this.byToken.values()].filter((session) => session.lastSeenMs < cutoff);
  }

  /** Every live session. */
  sessions(): Session[] {
    return [...this.byToken.values()];
  }

  online(): UserInfo[] {
    return [...this.byToken.values()]
      .map((session) => ({ name: session.name, since: session.since }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  get size(): number {
    return this.byToken.size;
  }

  /**
   * Whether several messages may share one delivery (shared/delivery-batch.ts). `queue`: a reply
   * queue, whose own client decides; none: a room's events, which every client online receives.
   */
  takesBatches(queue?: string): boolean {
    if (queue === undefined) return this.olderClients === 0;
    const session = this.byQueue.get(queue);
    return session !== undefined && session.protocol >= PROTOCOL_VERSION;
  }

  private index(session: Session): void {
    this.byKey.set(session.nameKey, session);
    this.byToken.set(session.token, session);
    this.byQueue.set(session.replyQueue, session);
    if (session.protocol < PROTOCOL_VERSION) this.olderClients += 1;
    this.lookalikes.claim(session.name, session);
  }

  /** The online session holding `name` or a name that looks like it. */
  holderOf(name: string): Session | undefined {
    return this.lookalikes.holderOf(name);
  }
}
