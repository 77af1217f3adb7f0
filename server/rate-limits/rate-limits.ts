import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ERROR_CODES, WarrenError } from '../../shared/index.js';

/**
 * Per-user rate limits, behind a small interface so the memory store used now can become
 * rate-limiter-flexible's Postgres store (issue 12) without touching callers. Each kind allows
 * `points` per window of `durationMs` per key (the library's fixed window: the count starts
 * again when the window ends).
 */
export const RATE_LIMIT_KINDS = ['message', 'roomCreate', 'loginByName', 'loginByClient', 'passwordChecks'] as const;
export type RateLimitKind = (typeof RATE_LIMIT_KINDS)[number];

export interface RateRule {
  points: number;
  durationMs: number;
}

/** Generous for people and scripted clients; a flood of one user hits them within seconds. */
export const DEFAULT_MESSAGE_RATE: RateRule = { points: 100, durationMs: 10_000 };
export const DEFAULT_ROOM_CREATE_RATE: RateRule = { points: 10, durationMs: 60_000 };
/**
 * Password attempts to one registered name (its look-alike key) from one client (its broker id):
 * bounds guessing by that client without letting anyone else lock the name's owner out (the owner
 * comes from another client). A right password clears the pair's count.
 */
export const DEFAULT_LOGIN_BY_NAME_RATE: RateRule = { points: 10, durationMs: 60_000 };
/** Keyed by the client's broker id: bounds one client trying many names. */
export const DEFAULT_LOGIN_BY_CLIENT_RATE: RateRule = { points: 20, durationMs: 60_000 };
/**
 * Password verifications (scrypt) of the whole coordinator: a swarm of guessing clients, each one
 * within its own limits, still cannot spend more than this much of the coordinator's CPU.
 */
export const DEFAULT_PASSWORD_CHECK_RATE: RateRule = { points: 20, durationMs: 1_000 };

/**
 * A rule per kind; null switches that kind off (the benchmark's coordinator, for one).
 * `passwordChecks` absent = its default.
 */
export type RateRules = Record<Exclude<RateLimitKind, 'passwordChecks'>, RateRule | null> & { passwordChecks?: RateRule | null };

export const DEFAULT_RATE_RULES: RateRules = {
  message: DEFAULT_MESSAGE_RATE,
  roomCreate: DEFAULT_ROOM_CREATE_RATE,
  loginByName: DEFAULT_LOGIN_BY_NAME_RATE,
  loginByClient: DEFAULT_LOGIN_BY_CLIENT_RATE,
  passwordChecks: DEFAULT_PASSWORD_CHECK_RATE,
};

export type RateDecision = { ok: true; remaining: number } | { ok: false; retryAfterMs: number };

/** RATE_LIMITED, with when to try again. */
export class RateLimitedError extends WarrenError {
  readonly retryAfterMs: number;

  constructor(kind: RateLimitKind, retryAfterMs: number) {
    super(ERROR_CODES.RATE_LIMITED, `too many ${DESCRIPTION[kind]}; try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`);
    this.name = 'RateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}

const DESCRIPTION: Record<RateLimitKind, string> = {
  message: 'messages',
  roomCreate: 'new rooms',
  loginByName: 'wrong passwords for this name from this client',
  loginByClient: 'logins from this client',
  passwordChecks: 'password checks right now',
};

export interface RateLimits {
  /** Counts one use (or `cost`) of `kind` by `key`; says whether it was within the limit. */
  consume(kind: RateLimitKind, key: string, cost?: number): Promise<RateDecision>;
  /** As consume, but throws RateLimitedError when over the limit. */
  take(kind: RateLimitKind, key: string, cost?: number): Promise<void>;
  /** Forgets `key`'s count (e.g. a name's failed logins after a good one). */
  reset(kind: RateLimitKind, key: string): Promise<void>;
  /** False when `kind` is switched off: consuming it always succeeds, so there is nothing to ask. */
  isLimited(kind: RateLimitKind): boolean;
}

/** In the coordinator's memory: counts start again when it restarts. */
export class MemoryRateLimits implements RateLimits {
  private readonly limiters = new Map<RateLimitKind, RateLimiterAbstract>();

  constructor(rules: RateRules = DEFAULT_RATE_RULES) {
    for (const kind of RATE_LIMIT_KINDS) {
      const rule = kind === 'passwordChecks' ? (rules.passwordChecks === undefined ? DEFAULT_PASSWORD_CHECK_RATE : rules.passwordChecks) : rules[kind];
      if (rule === null) continue;
      checkRule(kind, rule);
      this.limiters.set(kind, new RateLimiterMemory({ keyPrefix: kind, points: rule.points, duration: rule.durationMs / 1000 }));
    }
  }

  async consume(kind: RateLimitKind, key: string, cost = 1): Promise<RateDecision> {
    const limiter = this.limiters.get(kind);
    if (!limiter) return { ok: true, remaining: Number.POSITIVE_INFINITY };
    if (!Number.isInteger(cost) || cost < 1) throw new RangeError(`rate limit cost must be a whole number of at least 1, got ${cost}`);
    try {
      const result = await limiter.consume(key, cost);
      return { ok: true, remaining: result.remainingPoints };
    } catch (rejection) {
      // The library rejects with its result when over the limit, and with an Error for a failure.
      if (rejection instanceof RateLimiterRes) return { ok: false, retryAfterMs: Math.max(1, rejection.msBeforeNext) };
      throw rejection;
    }
  }

  async take(kind: RateLimitKind, key: string, cost = 1): Promise<void> {
    const decision = await this.consume(kind, key, cost);
    if (!decision.ok) throw new RateLimitedError(kind, decision.retryAfterMs);
  }

  async reset(kind: RateLimitKind, key: string): Promise<void> {
    await this.limiters.get(kind)?.delete(key);
  }

  isLimited(kind: RateLimitKind): boolean {
    return this.limiters.has(kind);
  }
}

function checkRule(kind: RateLimitKind, rule: RateRule): void {
  if (!Number.isInteger(rule.points) || rule.points < 1 || !Number.isInteger(rule.durationMs) || rule.durationMs < 1000) {
    throw new WarrenError(ERROR_CODES.CONFIG_INVALID, `rate limit ${kind}: points must be a whole number ≥ 1 and the window whole milliseconds ≥ 1000`);
  }
}

/** Which limit a request of the protocol counts against (logins count against two). */
export function rateLimitsFor(type: string): RateLimitKind[] {
  switch (type) {
    case 'chat':
      return ['message'];
    case 'create_room':
      return ['roomCreate'];
    case 'login':
      return ['loginByName', 'loginByClient'];
    default:
      return [];
  }
}
