import { Command } from 'commander';
import { z } from 'zod';
import { booleanFromText, setting, settingsForEntryPoint, type EntryPointSettings, type SettingsOf } from '../shared/index.js';
import { MAX_INPUT_PARTITIONS } from '../shared/input-partitions.js';
import { commaList, count } from './option-schemas.js';

/** The stores several coordinators can share: one SQLite folder on this host, or PostgreSQL. */
export const SHARED_STORES = ['sqlite', 'postgres'] as const;
export type SharedStore = (typeof SHARED_STORES)[number];

/** The two parts of `bench/coordinators.ts`, in the order they run. */
export const COORDINATOR_PARTS = ['throughput', 'failover'] as const;
export type CoordinatorPart = (typeof COORDINATOR_PARTS)[number];

const listOf = <T extends z.ZodType>(item: T) => commaList(item, { min: 1, max: 8 });

/** Every size of the several-coordinators benchmark, from BENCH_COORD_* variables with flags overriding them. */
export const COORDINATORS_BENCH_SETTINGS = {
  amqpUrl: setting({ env: 'AMQP_URL', flag: 'amqp-url', description: 'RabbitMQ to measure against (with the consistent-hash exchange plugin)', default: 'amqp://guest:guest@127.0.0.1:5672', schema: z.string().regex(/^amqps?:\/\/\S+$/, 'an amqp:// URL') }),
  postgresUrl: setting({ env: 'BENCH_POSTGRES_URL', flag: 'postgres-url', description: 'PostgreSQL for the postgres store (each run makes a schema of its own and drops it)', default: 'postgres://postgres@127.0.0.1:5432/test', schema: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL') }),
  parts: setting({ env: 'BENCH_COORD_PARTS', flag: 'parts', description: `parts to run: ${COORDINATOR_PARTS.join(',')}`, default: [...COORDINATOR_PARTS], schema: listOf(z.enum(COORDINATOR_PARTS)) }),
  stores: setting({ env: 'BENCH_COORD_STORES', flag: 'stores', description: `throughput: stores to compare, ${SHARED_STORES.join(',')}`, default: [...SHARED_STORES], schema: listOf(z.enum(SHARED_STORES)) }),
  coordinators: setting({ env: 'BENCH_COORD_COUNTS', flag: 'coordinators', description: 'throughput: numbers of coordinators to compare, comma-separated', default: [1, 2, 3], schema: listOf(count(1, 8)) }),
  partitions: setting({ env: 'BENCH_COORD_PARTITIONS', flag: 'partitions', description: 'WARREN_INPUT_PARTITIONS of every coordinator', default: 6, schema: count(2, MAX_INPUT_PARTITIONS) }),
  clients: setting({ env: 'BENCH_COORD_CLIENTS', flag: 'clients', description: 'clients that send (each also receives every message of #general)', default: 12, schema: count(1, 200) }),
  rooms: setting({ env: 'BENCH_COORD_ROOMS', flag: 'rooms', description: 'throughput: public rooms the clients send to (client i to room i mod R); 1: all in #general', default: 1, schema: count(1, 200) }),
  messages: setting({ env: 'BENCH_COORD_N', flag: 'n', description: 'throughput: messages per measured run, spread over the clients', default: 4800, schema: count(1, 1_000_000) }),
  window: setting({ env: 'BENCH_COORD_WINDOW', flag: 'window', description: 'throughput: unaccepted messages each client keeps in flight', default: 20, schema: count(1, 10_000) }),
  rounds: setting({ env: 'BENCH_COORD_ROUNDS', flag: 'rounds', description: 'throughput: rounds; each runs every store × coordinator count once, in a rotating order; figures are medians', default: 3, schema: count(1, 20) }),
  warmupSeconds: setting({ env: 'BENCH_COORD_WARMUP', flag: 'warmup', description: 'throughput: seconds of paced traffic before measuring (longer until every coordinator serves)', default: 8, schema: count(0, 120) }),
  trials: setting({ env: 'BENCH_COORD_TRIALS', flag: 'trials', description: 'failover: coordinators killed (SIGKILL), one per trial', default: 10, schema: count(1, 100) }),
  intervalMs: setting({ env: 'BENCH_COORD_INTERVAL', flag: 'interval', description: 'failover (and warm-up): each client sends one message every this many ms', default: 50, schema: count(5, 10_000) }),
  failoverStore: setting({ env: 'BENCH_COORD_FAILOVER_STORE', flag: 'failover-store', description: `failover: the shared store, ${SHARED_STORES.join(' or ')}`, default: 'sqlite' as SharedStore, schema: z.enum(SHARED_STORES) }),
  json: setting({ env: 'BENCH_COORD_JSON', flag: 'json', description: 'also print the whole result as one JSON line at the end', default: false, schema: booleanFromText, boolean: true }),
};

export type CoordinatorsBenchOptions = SettingsOf<typeof COORDINATORS_BENCH_SETTINGS>;

/** Flags and variables to validated options; a bad one comes back as exit code 2 with a message naming it. */
export function parseCoordinatorsBenchOptions(argv: string[], env: Record<string, string | undefined>): EntryPointSettings<CoordinatorsBenchOptions> {
  const command = new Command('bench:coordinators').description('throughput with 1, 2 and 3 coordinators on SQLite and PostgreSQL, and the failover when one is killed');
  return settingsForEntryPoint(command, COORDINATORS_BENCH_SETTINGS, argv, env);
}
