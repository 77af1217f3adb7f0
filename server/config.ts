import { Command } from 'commander';
import { z } from 'zod';
import { AMQP_HEARTBEAT_SETTING, AMQP_NODE_ORDER_SETTING, AMQP_NO_DELAY_SETTING, AMQP_URL_SETTING, COORDINATOR_USER_SETTING, INSECURE_OPEN_BROKER_SETTING, MAX_INPUT_PARTITIONS, addSettingFlags, booleanFromText, namespaceSchema, resolveSettings, setting, wholeNumber, type SettingsOf } from '../shared/index.js';
import type { CoordinatorOptions } from './coordinator.js';
import { METRICS_SETTINGS } from './observability/settings.js';
import { QUEUE_CAP_SETTINGS, queueCaps } from './queue-cap-settings.js';
import { RATE_LIMIT_SETTINGS, rateRules } from './rate-limits/settings.js';

const positiveInt = (max: number) => wholeNumber(1, max);
/** WARREN_COMMIT_WINDOW_MS when unset (docs/PERFORMANCE.md, "Group commit across turns"). */
export const COMMIT_WINDOW_DEFAULT_MS = 0;
/** A host name or address to listen on: no scheme, port or white space. */
const hostSchema = z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'must be a host name or an IP address');
const httpUrlSchema = z
  .string()
  .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.hostname !== '' && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL with a host and no credentials');

/** Where the store lives when not in SQLite: a PostgreSQL URL with a host (credentials allowed). */
const postgresUrlSchema = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
  .refine((value) => {
    try {
      return new URL(value).hostname !== '';
    } catch {
      return false;
    }
  }, 'must be a postgres:// URL with a host');

export const SERVER_SETTINGS = {
  amqpUrl: AMQP_URL_SETTING,
  namespace: setting({ env: 'WARREN_NAMESPACE', flag: 'namespace', description: 'prefix of every exchange and queue name', default: 'warren', schema: namespaceSchema }),
  dataDir: setting({ env: 'WARREN_DATA_DIR', flag: 'data-dir', description: 'directory of the SQLite store', default: './data', schema: z.string().min(1) }),
  storeUrl: setting<string | undefined>({ env: 'WARREN_STORE_URL', flag: 'store-url', description: 'a postgres:// URL to keep the store in PostgreSQL (several coordinators may share it); unset: SQLite in the data directory', default: undefined, schema: postgresUrlSchema.optional() }),
  storeSchema: setting({ env: 'WARREN_STORE_SCHEMA', flag: 'store-schema', description: "PostgreSQL schema of the store's tables (created if missing)", default: 'warren', schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL name (a-z, 0-9, _; up to 63)') }),
  logDir: setting({ env: 'WARREN_LOG_DIR', flag: 'log-dir', description: 'directory of chat.log', default: './log', schema: z.string().min(1) }),
  chatLogFile: setting({ env: 'WARREN_CHAT_LOG_FILE', flag: 'chat-log-file', description: 'file name of the chat log in the log directory; %h is replaced by the host name, so coordinators sharing one folder each write their own (chat-%h.log); `npm run chat-log` merges them', default: 'chat.log', schema: z.string().regex(/^chat[A-Za-z0-9%._-]*\.log$/, 'must be a file name starting with "chat" and ending in ".log" (letters, digits, . _ - and %h only)') }),
  sessionTimeout: setting({ env: 'WARREN_SESSION_TIMEOUT', flag: 'session-timeout', description: 'seconds without a heartbeat before a client is logged out and its name freed', default: 15, schema: positiveInt(3600) }),
  historySize: setting({ env: 'WARREN_HISTORY_SIZE', flag: 'history-size', description: 'messages of history shown on joining', default: 20, schema: wholeNumber(0, 500) }),
  minUsers: setting({ env: 'MIN_USERS', flag: 'min-users', description: 'users that must have been online at once before anyone sees the chat (then it stays active); the older Chat App used 2', default: 1, schema: positiveInt(10_000) }),
  legacy: setting({ env: 'WARREN_LEGACY', flag: 'legacy', description: 'also serve the Actividad 2 clients (fixed queue and exchange names, one deployment per broker; docs/LEGACY.md)', default: false, schema: booleanFromText, boolean: true }),
  insecureOpenBroker: INSECURE_OPEN_BROKER_SETTING,
  authorityHost: setting({ env: 'WARREN_AUTHORITY_HOST', flag: 'authority-host', description: 'address the broker authority listens on for RabbitMQ (0.0.0.0 inside a compose network; never publish it)', default: '127.0.0.1', schema: hostSchema }),
  authorityPort: setting({ env: 'WARREN_AUTHORITY_PORT', flag: 'authority-port', description: "port of the broker authority (broker/rabbitmq.conf's auth_http paths must name it)", default: 15680, schema: wholeNumber(1, 65_535) }),
  authorityAllowFrom: setting({ env: 'WARREN_AUTHORITY_ALLOW_FROM', flag: 'authority-allow-from', description: 'who may ask the broker authority, comma-separated: loopback, addresses, host names (compose: rabbitmq); everyone else is refused', default: 'loopback', schema: z.string().trim().regex(/^[A-Za-z0-9.:_-]+(\s*,\s*[A-Za-z0-9.:_-]+)*$/, 'must be a comma-separated list of loopback, addresses and host names') }),
  authorityMaxUnboundPerAddress: setting({ env: 'WARREN_AUTHORITY_MAX_UNBOUND_PER_ADDRESS', flag: 'authority-max-unbound-per-address', description: 'client ids connected but not yet logged in from one address; past it new ids from there are refused', default: 50, schema: positiveInt(100_000) }),
  coordinatorUser: COORDINATOR_USER_SETTING,
  brokerAdminPassword: setting<string | undefined>({ env: 'WARREN_BROKER_ADMIN_PASSWORD', flag: 'broker-admin-password', description: "password of the broker user admin (management UI); unset: nobody can log in there", default: undefined, schema: z.string().min(12, 'must be at least 12 characters').max(256, 'must be at most 256 characters').regex(/^\S+$/, 'must not contain white space').optional() }),
  managementUrl: setting<string | undefined>({ env: 'WARREN_MANAGEMENT_URL', flag: 'management-url', description: "the broker's management API, used to close the connections of a client whose session ended (e.g. http://rabbitmq:15672)", default: undefined, schema: httpUrlSchema.optional() }),
  amqpNoDelay: AMQP_NO_DELAY_SETTING,
  inputPartitions: setting({ env: 'WARREN_INPUT_PARTITIONS', flag: 'input-partitions', description: `input queues of each kind, each with one active coordinator at a time; above 1 they sit behind a consistent-hash exchange (plugin rabbitmq_consistent_hash_exchange). Every coordinator of a deployment needs the same value`, default: 1, schema: positiveInt(MAX_INPUT_PARTITIONS) }),
  amqpHeartbeat: AMQP_HEARTBEAT_SETTING,
  amqpNodeOrder: AMQP_NODE_ORDER_SETTING,
  prefetch: setting({ env: 'WARREN_PREFETCH', flag: 'prefetch', description: 'unacknowledged inputs the coordinator works on at once', default: 200, schema: positiveInt(10_000) }),
  commitWindow: setting({ env: 'WARREN_COMMIT_WINDOW_MS', flag: 'commit-window-ms', description: 'group commit: a batch of inputs begins at most once per this many ms, so at moderate rates several turns share one commit (each input waits at most this long more); 0: a batch every turn', default: COMMIT_WINDOW_DEFAULT_MS, schema: wholeNumber(0, 100) }),
  ...RATE_LIMIT_SETTINGS,
  ...QUEUE_CAP_SETTINGS,
  ...METRICS_SETTINGS,
};

export type ServerSettings = SettingsOf<typeof SERVER_SETTINGS>;

/** The program's name and description; the flags come from SERVER_SETTINGS. */
export function serverCommand(): Command {
  return new Command('warren-server').description('warren coordinator: registry, history, chat log and fan-out over RabbitMQ');
}

/** Throws CONFIG_INVALID (or commander's error for --help and unknown flags); for tests and tools. */
export function parseServerSettings(argv: string[], env: Record<string, string | undefined>): ServerSettings {
  const command = addSettingFlags(serverCommand(), SERVER_SETTINGS).exitOverride();
  command.parse(argv, { from: 'user' });
  return resolveSettings(SERVER_SETTINGS, command.opts(), env);
}

export function coordinatorOptions(settings: ServerSettings): CoordinatorOptions {
  const security: CoordinatorOptions['security'] = settings.insecureOpenBroker
    ? { mode: 'open' }
    : {
        mode: 'secure',
        authorityHost: settings.authorityHost,
        authorityPort: settings.authorityPort,
        coordinatorUser: settings.coordinatorUser,
        legacyGuest: settings.legacy,
        ...(settings.brokerAdminPassword === undefined ? {} : { adminPassword: settings.brokerAdminPassword }),
        ...(settings.managementUrl === undefined ? {} : { managementUrl: settings.managementUrl }),
        authorityAllowFrom: settings.authorityAllowFrom.split(',').map((entry) => entry.trim()),
        maxUnboundPerAddress: settings.authorityMaxUnboundPerAddress,
      };
  return {
    security,
    amqpUrl: settings.amqpUrl,
    namespace: settings.namespace,
    dataDir: settings.dataDir,
    ...(settings.storeUrl === undefined ? {} : { postgres: { url: settings.storeUrl, schema: settings.storeSchema } }),
    logDir: settings.logDir,
    chatLogFile: settings.chatLogFile,
    sessionTimeoutMs: settings.sessionTimeout * 1000,
    historyOnJoin: settings.historySize,
    prefetch: settings.prefetch,
    commitWindowMs: settings.commitWindow,
    amqpNoDelay: settings.amqpNoDelay,
    amqpHeartbeatSeconds: settings.amqpHeartbeat,
    amqpNodeOrder: settings.amqpNodeOrder,
    minUsers: settings.minUsers,
    rateRules: rateRules(settings),
    queueCaps: queueCaps(settings),
    deadLetterBodyBytes: settings.deadLetterBodyBytes,
    topologyCheckMs: settings.topologyCheckMs,
    inputPartitions: settings.inputPartitions,
  };
}
