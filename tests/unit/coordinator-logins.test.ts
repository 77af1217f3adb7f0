import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CoordinatorLogins, MemoryCoordinatorLogins, type CoordinatorLoginStore } from '../../server/authority/coordinator-logins.js';
import { digest } from '../../server/authority/policy.js';
import { SqlCoordinatorLogins } from '../../server/store/coordinator-login-store.js';
import type { SqlStore } from '../../server/store/sql-store.js';
import { STORE_ENGINES, type StorePlace } from '../support/store-engines.js';

const MINUTE = 60_000;

/** Two coordinators' views of one shared table: two connections to one store place. */
interface Shared {
  a: CoordinatorLoginStore;
  b: CoordinatorLoginStore;
  done(): void;
}

function sharedStore(place: StorePlace): Shared {
  const stores: SqlStore[] = [place.open(), place.open()];
  return {
    a: new SqlCoordinatorLogins((stores[0] as SqlStore).database),
    b: new SqlCoordinatorLogins((stores[1] as SqlStore).database),
    done: () => {
      for (const store of stores) store.close();
      place.remove();
    },
  };
}

const SUBJECTS: [string, () => Shared][] = [
  [
    'memory',
    () => {
      const one = new MemoryCoordinatorLogins();
      return { a: one, b: one, done: () => undefined };
    },
  ],
  ...STORE_ENGINES.map((engine): [string, () => Shared] => [engine.name, () => sharedStore(engine.place())]),
];

describe.each(SUBJECTS)('coordinator logins (%s)', (_kind, make) => {
  let shared: Shared;
  let clock: number;
  const now = (): number => clock;
  const logins: CoordinatorLogins[] = [];
  const start = (store: CoordinatorLoginStore, instance: string): CoordinatorLogins => {
    const one = new CoordinatorLogins({ store, instance, now, cacheMs: 2_000 });
    logins.push(one);
    one.start();
    return one;
  };

  beforeEach(() => {
    shared = make();
    clock = 1_800_000_000_000;
  });
  afterEach(() => {
    for (const one of logins.splice(0)) one.stop();
    shared.done();
  });

  it('refuses a forged password, an empty one and one of a coordinator never started', () => {
    const first = start(shared.a, 'first');
    expect(first.accepts(digest(''))).toBe(false);
    expect(first.accepts(digest(`${first.password}x`))).toBe(false);
    expect(first.accepts(digest(new CoordinatorLogins({ store: shared.b }).password))).toBe(false);
    expect(first.accepts(Buffer.alloc(32))).toBe(false);
  });

  it("accepts its own and, at once, a coordinator's that started a moment ago", () => {
    const first = start(shared.a, 'first');
    expect(first.accepts(digest(first.password))).toBe(true);
    // Warm the cache first: a newcomer must still be let in on its first try (read through on a miss).
    const second = start(shared.b, 'second');
    expect(first.accepts(digest(second.password))).toBe(true);
    const third = start(shared.b, 'third');
    expect(first.accepts(digest(third.password))).toBe(true);
    expect(second.accepts(digest(first.password))).toBe(true);
  });

  it('forgets a coordinator that stopped, and one that went silent for 10 minutes', () => {
    const first = start(shared.a, 'first');
    const stopped = start(shared.b, 'stopped');
    const silent = start(shared.b, 'silent');
    stopped.stop();
    clock += 2_001;
    expect(first.accepts(digest(stopped.password))).toBe(false);
    // The first says it is alive (as its minute timer would); the silent one does not.
    clock += 10 * MINUTE;
    shared.a.record(digest(first.password).toString('hex'), 'first', clock);
    expect(first.accepts(digest(silent.password))).toBe(false);
    expect(silent.accepts(digest(first.password))).toBe(true);
    expect(shared.a.pruneBefore(clock - 10 * MINUTE)).toBe(1);
    expect(shared.b.liveSince(0)).toEqual([digest(first.password).toString('hex')]);
  });
});
