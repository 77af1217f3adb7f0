import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { digest } from './policy.js';

/**
 * Where the running coordinators' broker passwords are known, as sha256 digests (hex): the store's
 * `coordinator_logins` table (server/store/coordinator-login-store.ts) when several coordinators
 * share a store, so every authority lets every live coordinator log in. Synchronous, like every
 * broker decision.
 */
export interface CoordinatorLoginStore {
  /** Adds the digest, or says again that it is alive. */
  record(digestHex: string, instance: string, nowMs: number): void;
  remove(digestHex: string): void;
  /** When the digest was last said to be alive; undefined when unknown. */
  seenMs(digestHex: string): number | undefined;
  /** Digests said to be alive at or after `sinceMs`. */
  liveSince(sinceMs: number): string[];
  /** Forgets digests not refreshed since `beforeMs`; returns how many. */
  pruneBefore(beforeMs: number): number;
}

/** The store of one process: only its own coordinator logs in (no other shares it). */
export class MemoryCoordinatorLogins implements CoordinatorLoginStore {
  private readonly rows = new Map<string, number>();

  record(digestHex: string, _instance: string, nowMs: number): void {
    this.rows.set(digestHex, nowMs);
  }

  remove(digestHex: string): void {
    this.rows.delete(digestHex);
  }

  seenMs(digestHex: string): number | undefined {
    return this.rows.get(digestHex);
  }

  liveSince(sinceMs: number): string[] {
    return [...this.rows].filter(([, seen]) => seen >= sinceMs).map(([digestHex]) => digestHex);
  }

  pruneBefore(beforeMs: number): number {
    let pruned = 0;
    for (const [digestHex, seen] of this.rows) {
      if (seen >= beforeMs) continue;
      this.rows.delete(digestHex);
      pruned += 1;
    }
    return pruned;
  }
}

export interface CoordinatorLoginsOptions {
  store: CoordinatorLoginStore;
  /** Who this coordinator is, for the operator reading the table (host and pid by default). */
  instance?: string;
  /** How often this coordinator says it is alive. Default 60 s. */
  refreshMs?: number;
  /** A digest not refreshed this long is no longer accepted, and pruned. Default 10 min. */
  staleAfterMs?: number;
  /** How long the set of live digests read from the store is reused. Default 2 s. */
  cacheMs?: number;
  now?: () => number;
  onError?: (message: string) => void;
}

/**
 * The coordinator user's passwords: this coordinator's own, minted here per start and recorded
 * (as a digest) in the shared store, and those of the other live coordinators read from it. A
 * digest missing from the short cache is looked up in the store at once, so a coordinator that
 * has just started is let in on its first try.
 */
export class CoordinatorLogins {
  readonly password = randomBytes(32).toString('base64url');
  private readonly ownDigest = digest(this.password).toString('hex');
  private readonly store: CoordinatorLoginStore;
  private readonly instance: string;
  private readonly refreshMs: number;
  private readonly staleAfterMs: number;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private cached: { digests: Set<string>; readAt: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: CoordinatorLoginsOptions) {
    this.store = options.store;
    this.instance = options.instance ?? `${hostname()} pid ${process.pid}`;
    this.refreshMs = options.refreshMs ?? 60_000;
    this.staleAfterMs = options.staleAfterMs ?? 10 * 60_000;
    this.cacheMs = options.cacheMs ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /** Records this coordinator's digest (before it logs in anywhere), then refreshes it on a timer. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.beat();
    this.timer = setInterval(() => {
      try {
        this.beat();
      } catch (err) {
        this.options.onError?.(`authority: refreshing this coordinator's broker login in the store failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, this.refreshMs);
    this.timer.unref();
  }

  /** Whether `passwordDigest` (sha256, raw) is the password of a live coordinator, this one or another. */
  accepts(passwordDigest: Buffer): boolean {
    const hex = passwordDigest.toString('hex');
    if (hex === this.ownDigest) return true;
    const since = this.now() - this.staleAfterMs;
    const cached = this.cached;
    if (cached && this.now() - cached.readAt < this.cacheMs && cached.digests.has(hex)) return true;
    // A miss (a coordinator that started a moment ago, or a wrong password): ask the store.
    const seen = this.store.seenMs(hex);
    if (seen === undefined || seen < since) return false;
    this.cached = { digests: new Set(this.store.liveSince(since)), readAt: this.now() };
    return true;
  }

  /** Removes this coordinator's digest (a graceful stop: nobody should log in with it again). Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      this.store.remove(this.ownDigest);
    } catch (err) {
      this.options.onError?.(`authority: removing this coordinator's broker login from the store failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private beat(): void {
    const now = this.now();
    this.store.record(this.ownDigest, this.instance, now);
    this.store.pruneBefore(now - this.staleAfterMs);
  }
}
