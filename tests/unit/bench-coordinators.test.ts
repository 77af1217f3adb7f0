import { parseCoordinatorsBenchOptions } from '../../bench/coordinators-options.js';
import type { FailoverResult, FailoverTrial } from '../../bench/coordinators-failover.js';
import { failoverTable, failoverVerdict, rank } from '../../bench/coordinators-report.js';
import { servedMessages } from '../../bench/coordinator-fleet.js';
import { roomOf } from '../../bench/coordinator-clients.js';

describe('bench:coordinators options', () => {
  it.each([
    [['--partitions', '1'], {}, '--partitions'],
    [['--partitions', '65'], {}, '--partitions'],
    [['--stores', 'sqlite,mysql'], {}, '--stores'],
    [['--stores', ''], {}, '--stores'],
    [['--coordinators', '1,0'], {}, '--coordinators'],
    [['--coordinators', '1,two'], {}, '--coordinators'],
    [['--parts', 'throughput,crash'], {}, '--parts'],
    [['--trials', '0'], {}, '--trials'],
    [['--interval', '1'], {}, '--interval'],
    [['--failover-store', 'memory'], {}, '--failover-store'],
    [['--postgres-url', 'mysql://x'], {}, '--postgres-url'],
    [['--n', '-5'], {}, '--n'],
    [['--rooms', '0'], {}, '--rooms'],
    [[], { BENCH_COORD_ROOMS: 'six' }, 'BENCH_COORD_ROOMS'],
    [[], { BENCH_COORD_CLIENTS: 'many' }, 'BENCH_COORD_CLIENTS'],
    [[], { BENCH_COORD_ROUNDS: '0' }, 'BENCH_COORD_ROUNDS'],
    [[], { AMQP_URL: 'http://127.0.0.1' }, 'AMQP_URL'],
  ])('refuses %j %j with exit code 2, naming %s', (argv, env, named) => {
    const parsed = parseCoordinatorsBenchOptions(argv, env);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.exitCode).toBe(2);
    expect(parsed.message?.startsWith(`✗ ${named}:`)).toBe(true);
    expect(parsed.message).toContain('[CONFIG_INVALID]');
  });

  it('refuses an unknown flag with exit code 2', () => {
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(parseCoordinatorsBenchOptions(['--coordinator', '2'], {})).toEqual({ ok: false, exitCode: 2 });
    } finally {
      process.stderr.write = write;
    }
  });

  it('compares 1, 2 and 3 coordinators on SQLite and PostgreSQL, 3 rounds, then 10 failover trials, by default', () => {
    const parsed = parseCoordinatorsBenchOptions([], {});
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.settings).toMatchObject({ parts: ['throughput', 'failover'], stores: ['sqlite', 'postgres'], coordinators: [1, 2, 3], rounds: 3, trials: 10, failoverStore: 'sqlite' });
  });

  it('takes lists and sizes from flags over variables', () => {
    const parsed = parseCoordinatorsBenchOptions(['--coordinators', '2, 4', '--trials', '3'], { BENCH_COORD_COUNTS: '1', BENCH_COORD_STORES: 'postgres', BENCH_COORD_TRIALS: '7' });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.settings).toMatchObject({ coordinators: [2, 4], stores: ['postgres'], trials: 3 });
  });
});

describe('bench:coordinators figures', () => {
  it('keeps every client in #general with one room, and spreads them round the rooms with several', () => {
    expect([0, 1, 5].map((index) => roomOf(index, 1))).toEqual([undefined, undefined, undefined]);
    expect([0, 1, 5, 6, 13].map((index) => roomOf(index, 6))).toEqual(['load-room-0', 'load-room-1', 'load-room-5', 'load-room-0', 'load-room-1']);
  });

  it('reads the MESSAGE lines of a chat log with their server time, and nothing else', () => {
    const log = [
      '2026-12-02T10:00:00.100Z START pid=1',
      '2026-12-02T10:00:00.250Z MESSAGE room=general seq=1 from=ana client_ts=2026-12-02T10:00:00.200Z server_ts=2026-12-02T10:00:00.250Z id=m-1 text="hi id=fake "',
      'garbage',
    ].join('\n');
    expect([...servedMessages(log)]).toEqual([['m-1', Date.parse('2026-12-02T10:00:00.250Z')]]);
  });

  it('takes the nearest-rank median, p90 and max of the trials', () => {
    const values = [300, 100, 900, 200, 500, 400, 700, 600, 1000, 800];
    expect([rank(values, 0.5), rank(values, 0.9), rank(values, 1), rank([], 0.5)]).toEqual([500, 900, 1000, 0]);
  });

  const trial = (overrides: Partial<FailoverTrial>): FailoverTrial => ({
    trial: 1, killed: 'c1', survivor: 'c2', itsClients: 6, servedAgainMs: 300, firstAcceptMs: 310, allAcceptedMs: 350, inFlightAtKill: 1, sent: 100, lost: 0, doubled: 0, unseen: 0, ...overrides,
  });
  const result = (trials: FailoverTrial[], logLinesRepeated = 0): FailoverResult => ({ trials, sent: 100, accepted: 100, stored: 100, logged: 100, logLinesRepeated });

  it('misses the target on a slow median, on one message lost, on one doubled, or on a log line repeated', () => {
    expect(failoverVerdict(result([trial({ allAcceptedMs: 2001 })]))).toContain('MISSED');
    expect(failoverVerdict(result([trial({}), trial({ lost: 1 })]))).toContain('MISSED');
    expect(failoverVerdict(result([trial({ doubled: 1 })]))).toContain('MISSED');
    expect(failoverVerdict(result([trial({})], 1))).toContain('MISSED');
    expect(failoverVerdict(result([trial({}), trial({ allAcceptedMs: 2000 }), trial({ allAcceptedMs: 5000 })]))).toContain('MET (median 2000 ms');
  });

  it('prints a row per trial and the median, p90 and max of each measure', () => {
    const lines = failoverTable(result([trial({ trial: 1 }), trial({ trial: 2, allAcceptedMs: 900 })]));
    expect(lines).toHaveLength(2 + 2 + 3);
    expect(lines.at(-1)).toBe('| **max** |  |  |  | 300 | 310 | 900 | 1 | 0 | 0 | 0 |');
  });
});
