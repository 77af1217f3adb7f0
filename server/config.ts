import { Command } from 'commander';
import { z } from 'zod';
import { AMQP_URL_SETTING, addSettingFlags, booleanFromText, namespaceSchema, resolveSettings, setting, wholeNumber, type SettingsOf } from '../shared/index.js';
import type { CoordinatorOptions } from './coordinator.js';
import { QUEUE_CAP_SETTINGS, queueCaps } from './queue-cap-settings.js';

const positiveInt = (max: number) => wholeNumber(1, max);

export const SERVER_SETTINGS = {
  amqpUrl: AMQP_URL_SETTING,
  namespace: setting({ env: 'WARREN_NAMESPACE', flag: 'namespace', description: 'prefix of every exchange and queue name', default: 'warren', schema: namespaceSchema }),
  dataDir: setting({ env: 'WARREN_DATA_DIR', flag: 'data-dir', description: 'directory of the SQLite store', default: './data', schema: z.string().min(1) }),
  logDir: setting({ env: 'WARREN_LOG_DIR', flag: 'log-dir', description: 'directory of chat.log', default: './log', schema: z.string().min(1) }),
  sessionTimeout: setting({ env: 'WARREN_SESSION_TIMEOUT', flag: 'session-timeout', description: 'seconds without a heartbeat before a client is logged out and its name freed', default: 15, schema: positiveInt(3600) }),
  historySize: setting({ env: 'WARREN_HISTORY_SIZE', flag: 'history-size', description: 'messages of history shown on joining', default: 20, schema: wholeNumber(0, 500) }),
  minUsers: setting({ env: 'MIN_USERS', flag: 'min-users', description: 'users that must have been online at once before anyone sees the chat (then it stays active); the older Chat App used 2', default: 1, schema: positiveInt(10_000) }),
  legacy: setting({ env: 'WARREN_LEGACY', flag: 'legacy', description: 'also serve the Actividad 2 clients (fixed queue and exchange names, one deployment per broker; docs/LEGACY.md)', default: false, schema: booleanFromText, boolean: true }),
  prefetch: setting({ env: 'WARREN_PREFETCH', flag: 'prefetch', description: 'unacknowledged inputs the coordinator works on at once', default: 200, schema: positiveInt(10_000) }),
  ...QUEUE_CAP_SETTINGS,
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
  return {
    amqpUrl: settings.amqpUrl,
    namespace: settings.namespace,
    dataDir: settings.dataDir,
    logDir: settings.logDir,
    sessionTimeoutMs: settings.sessionTimeout * 1000,
    historyOnJoin: settings.historySize,
    prefetch: settings.prefetch,
    minUsers: settings.minUsers,
    queueCaps: queueCaps(settings),
    deadLetterBodyBytes: settings.deadLetterBodyBytes,
    topologyCheckMs: settings.topologyCheckMs,
  };
}
