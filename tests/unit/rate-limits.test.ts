import { ERROR_CODES, isWarrenError, lookalikeKey, resolveSettings } from '../../shared/index.js';
import { DEFAULT_RATE_RULES, MemoryRateLimits, RateLimitedError, rateLimitsFor, type RateRules } from '../../server/rate-limits/rate-limits.js';
import { RATE_LIMIT_SETTINGS, rateRules } from '../../server/rate-limits/settings.js';

const rules = (overrides: Partial<RateRules>): RateRules => ({ ...DEFAULT_RATE_RULES, ...overrides });

describe('rate limit settings: refused', () => {
  it.each(['abc', '0/10', '10/0', '-1/5', '1e3/10', '10/10s', '10 per 10', '1/1/1', '9999999/1'])('WARREN_RATE_MESSAGES=%s: CONFIG_INVALID naming the variable', (value) => {
    expect(() => resolveSettings(RATE_LIMIT_SETTINGS, {}, { WARREN_RATE_MESSAGES: value })).toThrow(
      expect.objectContaining({ code: ERROR_CODES.CONFIG_INVALID, message: expect.stringContaining('WARREN_RATE_MESSAGES') }),
    );
  });

  it('refuses a bad flag value, naming the flag', () => {
    expect(() => resolveSettings(RATE_LIMIT_SETTINGS, { rateRooms: 'lots' }, {})).toThrow(expect.objectContaining({ message: expect.stringContaining('--rate-rooms') }));
  });
});

describe('rate limit settings: accepted', () => {
  it('defaults to the named constants', () => {
    expect(rateRules(resolveSettings(RATE_LIMIT_SETTINGS, {}, {}))).toEqual(DEFAULT_RATE_RULES);
  });

  it('reads POINTS/SECONDS and off', () => {
    const settings = resolveSettings(RATE_LIMIT_SETTINGS, { rateRooms: '3/60' }, { WARREN_RATE_MESSAGES: ' 5/1 ', WARREN_RATE_LOGINS_PER_NAME: 'off' });
    expect(rateRules(settings)).toEqual({
      message: { points: 5, durationMs: 1000 },
      roomCreate: { points: 3, durationMs: 60_000 },
      loginByName: null,
      loginByClient: DEFAULT_RATE_RULES.loginByClient,
      passwordChecks: DEFAULT_RATE_RULES.passwordChecks,
    });
  });
});

describe('rate limits: refused input', () => {
  it.each([
    ['zero points', { points: 0, durationMs: 1000 }],
    ['a fraction of a point', { points: 1.5, durationMs: 1000 }],
    ['a window under a second', { points: 1, durationMs: 999 }],
  ])('a rule with %s: CONFIG_INVALID', (_what, rule) => {
    expect(() => new MemoryRateLimits(rules({ message: rule }))).toThrow(expect.objectContaining({ code: ERROR_CODES.CONFIG_INVALID }));
  });

  it.each([0, -1, 0.5, Number.NaN])('a cost of %s: RangeError, nothing counted', async (cost) => {
    const limits = new MemoryRateLimits(rules({ message: { points: 1, durationMs: 60_000 } }));
    await expect(limits.consume('message', 'alice', cost)).rejects.toThrow(RangeError);
    await expect(limits.consume('message', 'alice')).resolves.toEqual({ ok: true, remaining: 0 });
  });
});

describe('rate limits', () => {
  it('refuses past the limit with when to retry, per key and per kind', async () => {
    const limits = new MemoryRateLimits(rules({ roomCreate: { points: 3, durationMs: 60_000 } }));
    for (let i = 0; i < 3; i += 1) expect((await limits.consume('roomCreate', 'alice')).ok).toBe(true);
    const refused = await limits.consume('roomCreate', 'alice');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.retryAfterMs).toBeGreaterThan(50_000);
    expect(!refused.ok && refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    // Other users and other kinds are not affected.
    expect((await limits.consume('roomCreate', 'bob')).ok).toBe(true);
    expect((await limits.consume('message', 'alice')).ok).toBe(true);
  });

  it('take throws RATE_LIMITED (a RateLimitedError with retryAfterMs) past the limit', async () => {
    const limits = new MemoryRateLimits(rules({ message: { points: 2, durationMs: 10_000 } }));
    await limits.take('message', 'alice');
    await limits.take('message', 'alice');
    const err = await limits.take('message', 'alice').catch((caught: unknown) => caught);
    expect(isWarrenError(err, ERROR_CODES.RATE_LIMITED)).toBe(true);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect((err as RateLimitedError).message).toMatch(/too many messages; try again in \d+ s/);
  });

  it('counts logins against a name by its look-alike key, so ALICE and аlice share alice’s budget', async () => {
    const limits = new MemoryRateLimits(rules({ loginByName: { points: 2, durationMs: 60_000 } }));
    await limits.take('loginByName', lookalikeKey('alice'));
    await limits.take('loginByName', lookalikeKey('ALICE'));
    await expect(limits.take('loginByName', lookalikeKey('\u0430lice'))).rejects.toMatchObject({ code: ERROR_CODES.RATE_LIMITED });
    await limits.reset('loginByName', lookalikeKey('alice'));
    await expect(limits.take('loginByName', lookalikeKey('alice'))).resolves.toBeUndefined();
  });

  it('allows again once the window has passed', async () => {
    const limits = new MemoryRateLimits(rules({ message: { points: 1, durationMs: 1000 } }));
    await limits.take('message', 'alice');
    expect((await limits.consume('message', 'alice')).ok).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await limits.consume('message', 'alice')).ok).toBe(true);
  });

  it('does not limit a kind switched off', async () => {
    const limits = new MemoryRateLimits(rules({ message: null }));
    for (let i = 0; i < 1000; i += 1) await limits.take('message', 'bench');
    await expect(limits.consume('message', 'bench')).resolves.toEqual({ ok: true, remaining: Number.POSITIVE_INFINITY });
  });

  it('maps the protocol requests to their limits', () => {
    expect(rateLimitsFor('chat')).toEqual(['message']);
    expect(rateLimitsFor('create_room')).toEqual(['roomCreate']);
    expect(rateLimitsFor('login')).toEqual(['loginByName', 'loginByClient']);
    expect(rateLimitsFor('heartbeat')).toEqual([]);
  });
});
