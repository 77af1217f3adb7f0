import { Command } from 'commander';
import { z } from 'zod';
import { chromiumInstalled } from './chromium.js';
import { addSettingFlags, booleanFromText, setting, type SettingsOf } from '../shared/index.js';
import { commaList, count, parseSettings } from './option-schemas.js';

/** The parts of a run, in the order they run. */
export const BENCH_SECTIONS = ['messaging', 'bigroom', 'scale', 'startup', 'web'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

const rateList = commaList(z.coerce.number().int().min(1).max(100_000), { max: 8 });
const sectionList = commaList(z.enum(BENCH_SECTIONS), { min: 1 });

/** The web section needs Chromium: it runs by default only where Chromium is installed (--sections web asks for it anyway). */
const DEFAULT_SECTIONS: BenchSection[] = BENCH_SECTIONS.filter((section) => section !== 'web' || chromiumInstalled());

/** Every size of the benchmark, from BENCH_* variables with flags overriding them. */
export const BENCH_SETTINGS = {
  amqpUrl: setting({ env: 'AMQP_URL', flag: 'amqp-url', description: 'RabbitMQ to measure against', default: 'amqp://guest:guest@127.0.0.1:5672', schema: z.string().regex(/^amqps?:\/\/\S+$/) }),
  messages: setting({ env: 'BENCH_N', flag: 'n', description: 'messages per measured phase (N)', default: 5000, schema: count(1, 1_000_000) }),
  participants: setting({ env: 'BENCH_K', flag: 'k', description: 'clients that send and receive in the messaging phases (K); each receives every message', default: 10, schema: count(1, 200) }),
  scaleClients: setting({ env: 'BENCH_CLIENTS', flag: 'clients', description: 'clients connected at once in the scale phase (C)', default: 1000, schema: count(1, 20_000) }),
  scaleClientsPerProcess: setting({ env: 'BENCH_SCALE_PER_PROCESS', flag: 'scale-per-process', description: 'scale phase: clients per child process (each its own connection and queue; the processes share the joining)', default: 625, schema: count(1, 20_000) }),
  scalePrivateNode: setting({ env: 'BENCH_SCALE_PRIVATE_NODE', flag: 'scale-private-node', description: 'scale phase: on a private RabbitMQ node with --scale-open-files (true), or on AMQP_URL (false); without rabbitmq-server here it runs on AMQP_URL', default: true, schema: booleanFromText }),
  scaleOpenFiles: setting({ env: 'BENCH_SCALE_OPEN_FILES', flag: 'scale-open-files', description: "scale phase: open-file limit (ulimit -n) of its private RabbitMQ node", default: 20_000, schema: count(1024, 1_048_576) }),
  scaleSessionTimeout: setting({ env: 'BENCH_SCALE_SESSION_TIMEOUT', flag: 'scale-session-timeout', description: "scale phase: the coordinator's WARREN_SESSION_TIMEOUT in seconds (clients beat every third of it); the program's default when absent", default: undefined as number | undefined, schema: count(3, 3600).optional() }),
  scaleAmqpHeartbeat: setting({ env: 'BENCH_SCALE_AMQP_HEARTBEAT', flag: 'scale-amqp-heartbeat', description: "scale phase: each client's AMQP heartbeat in seconds (WARREN_AMQP_HEARTBEAT); the client's default when absent", default: undefined as number | undefined, schema: count(1, 600).optional() }),
  scaleIdleSeconds: setting({ env: 'BENCH_SCALE_IDLE', flag: 'scale-idle', description: 'scale phase: seconds everyone stays connected and silent, to measure what heartbeats cost the coordinator and the broker', default: 3, schema: count(1, 600) }),
  rates: setting({ env: 'BENCH_RATES', flag: 'rates', description: 'fixed send rates in msg/s, comma-separated', default: [500, 1000], schema: rateList }),
  size: setting({ env: 'BENCH_SIZE', flag: 'size', description: 'characters of text per message', default: 128, schema: count(16, 2000) }),
  rounds: setting({ env: 'BENCH_ROUNDS', flag: 'rounds', description: 'times each messaging phase runs on each system, interleaved; figures are medians (issue 14 judges medians of at least 3)', default: 3, schema: count(1, 20) }),
  window: setting({ env: 'BENCH_WINDOW', flag: 'window', description: 'unaccepted messages each client keeps in flight in the throughput phase', default: 50, schema: count(1, 10_000) }),
  prefetch: setting({ env: 'BENCH_PREFETCH', flag: 'prefetch', description: 'prefetch of the coordinator and of the ceiling relay', default: 200, schema: count(1, 10_000) }),
  joinConcurrency: setting({ env: 'BENCH_JOIN_CONCURRENCY', flag: 'join-concurrency', description: 'scale phase: clients connecting at the same time', default: 50, schema: count(1, 1000) }),
  joinStallSeconds: setting({ env: 'BENCH_JOIN_STALL', flag: 'join-stall', description: 'scale phase: a client not joined after this many seconds stops the joining (broker out of sockets)', default: 15, schema: count(1, 600) }),
  startupRuns: setting({ env: 'BENCH_STARTUP_RUNS', flag: 'startup-runs', description: 'start-up phase: starts of each program', default: 3, schema: count(1, 20) }),
  sections: setting({ env: 'BENCH_SECTIONS', flag: 'sections', description: `sections to run: ${BENCH_SECTIONS.join(',')} (web by default only where /usr/bin/chromium is installed)`, default: DEFAULT_SECTIONS, schema: sectionList }),
  roomMembers: setting({ env: 'BENCH_ROOM_MEMBERS', flag: 'room-members', description: 'big-room phase: members of the one room, each with its own connection and queue', default: 1000, schema: count(2, 10_000) }),
  roomMessages: setting({ env: 'BENCH_ROOM_MESSAGES', flag: 'room-messages', description: 'big-room phase: messages sent one at a time, each once the one before reached every member', default: 50, schema: count(1, 1000) }),
  roomProcesses: setting({ env: 'BENCH_ROOM_PROCESSES', flag: 'room-processes', description: 'big-room phase: child processes the members are spread over (each its own event loop)', default: 4, schema: count(1, 64) }),
  roomOpenFiles: setting({ env: 'BENCH_ROOM_OPEN_FILES', flag: 'room-open-files', description: "big-room phase: open-file limit (ulimit -n) of the private RabbitMQ node it starts", default: 20_000, schema: count(1024, 1_048_576) }),
  noDelay: setting({ env: 'BENCH_TCP_NO_DELAY', flag: 'tcp-no-delay', description: "TCP_NODELAY (Nagle's algorithm off) on every AMQP socket: the coordinator's, the relays' and all clients': true or false", default: true, schema: booleanFromText }),
  webMessages: setting({ env: 'BENCH_WEB_MESSAGES', flag: 'web-messages', description: 'web section: messages sent one at a time from a terminal user to a browser', default: 100, schema: count(1, 10_000) }),
  server: setting({ env: 'BENCH_SERVER', flag: 'server', description: 'coordinator program to run (another build of it, to compare a change)', default: 'dist/server/main.js', schema: z.string().min(1) }),
  cpuProf: setting({ env: 'BENCH_CPU_PROF', flag: 'cpu-prof', description: "profile the messaging phases' coordinator with node --cpu-prof and summarise the profile", default: false, schema: booleanFromText, boolean: true }),
  resultsDir: setting({ env: 'BENCH_RESULTS_DIR', flag: 'results-dir', description: 'directory of the JSON results (and profiles)', default: 'bench/results', schema: z.string().min(1) }),
  secure: setting({ env: 'BENCH_SECURE', flag: 'secure', description: 'also measure start-up (login) in secure mode, against the node of `npm run broker:secure` at --secure-url', default: false, schema: booleanFromText, boolean: true }),
  secureUrl: setting({ env: 'BENCH_SECURE_URL', flag: 'secure-url', description: 'the secure node (no credentials in it)', default: 'amqp://127.0.0.1:5674', schema: z.string().regex(/^amqps?:\/\/[^@\s]+$/, 'an amqp:// URL without credentials') }),
  authorityPort: setting({ env: 'BENCH_AUTHORITY_PORT', flag: 'authority-port', description: "where the secure node asks the coordinator's authority", default: 15680, schema: count(1, 65_535) }),
  out: setting<string | undefined>({ env: 'BENCH_OUT', flag: 'out', description: 'write the JSON here instead of <results-dir>/<timestamp>.json', default: undefined, schema: z.string().min(1).optional() }),
};

export type BenchOptions = SettingsOf<typeof BENCH_SETTINGS>;

const benchCommandBare = (): Command => new Command('warren-bench').description('warren against a raw amqplib relay on the same broker, plus scale and start-up figures');

export function benchCommand(): Command {
  return addSettingFlags(benchCommandBare(), BENCH_SETTINGS);
}

export function parseBenchOptions(argv: string[], env: Record<string, string | undefined>): BenchOptions {
  return parseSettings(benchCommandBare(), BENCH_SETTINGS, argv, env);
}
