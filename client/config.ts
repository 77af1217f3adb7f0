import { Command } from 'commander';
import { z } from 'zod';
import type { ClientSecurity, WarrenClientOptions } from './lib/api-types.js';
// The modules themselves, not shared/index.js: the name prompt shows before the rest of shared/ loads.
import { AMQP_HEARTBEAT_SETTING, AMQP_NODE_ORDER_SETTING, AMQP_NO_DELAY_SETTING, AMQP_URL_SETTING, COORDINATOR_USER_SETTING, INSECURE_OPEN_BROKER_SETTING, addSettingFlags, booleanFromText, namespaceSchema, resolveSettings, setting, wholeNumber, type SettingsOf } from '../shared/settings.js';

export const CLIENT_SETTINGS = {
  amqpUrl: AMQP_URL_SETTING,
  namespace: setting({ env: 'WARREN_NAMESPACE', flag: 'namespace', description: 'prefix of every exchange and queue name (must match the coordinator)', default: 'warren', schema: namespaceSchema }),
  user: setting<string | undefined>({ env: 'WARREN_USER', flag: 'user', description: 'log in with this name instead of being asked (required without a terminal)', default: undefined, schema: z.string().min(1).optional() }),
  passwordFile: setting<string | undefined>({
    env: 'WARREN_PASSWORD_FILE',
    flag: 'password-file',
    description:
      'read the password of a registered name (and of /register) from the first line of this file. There is no variable holding the password itself: the environment of a process can be read by other programs of the same user (/proc/PID/environ), is inherited by every child process and shows in docker inspect',
    default: undefined,
    schema: z.string().min(1).optional(),
  }),
  localTime: setting({ env: 'WARREN_LOCAL_TIME', flag: 'local-time', description: 'show times in the local time zone instead of UTC', default: false, schema: booleanFromText, boolean: true }),
  insecureOpenBroker: INSECURE_OPEN_BROKER_SETTING,
  coordinatorUser: COORDINATOR_USER_SETTING,
  amqpNoDelay: AMQP_NO_DELAY_SETTING,
  amqpHeartbeat: AMQP_HEARTBEAT_SETTING,
  amqpNodeOrder: AMQP_NODE_ORDER_SETTING,
  requestTimeout: setting({ env: 'WARREN_REQUEST_TIMEOUT', flag: 'request-timeout', description: 'seconds to wait for the coordinator to answer a request', default: 10, schema: wholeNumber(1, 600) }),
};

export type ClientSettings = SettingsOf<typeof CLIENT_SETTINGS>;

/** The program's name and description; the flags come from CLIENT_SETTINGS. */
export function clientCommand(): Command {
  return new Command('warren').description('warren chat client. Type lines to chat; /help lists the commands.');
}

/** Throws CONFIG_INVALID (or commander's error for --help and unknown flags); for tests and tools. */
export function parseClientSettings(argv: string[], env: Record<string, string | undefined>): ClientSettings {
  const command = addSettingFlags(clientCommand(), CLIENT_SETTINGS).exitOverride();
  command.parse(argv, { from: 'user' });
  return resolveSettings(CLIENT_SETTINGS, command.opts(), env);
}

/** What the client library is told about the broker's security (client/lib/api-types.ts ClientSecurity). */
export function clientSecurity(settings: ClientSettings): ClientSecurity {
  return settings.insecureOpenBroker ? { mode: 'open' } : { mode: 'secure', coordinatorUser: settings.coordinatorUser };
}

/** The client library's options from the settings: one place for the chat and the script mode (client/ui/). */
export function clientOptions(settings: ClientSettings): WarrenClientOptions {
  return {
    amqpUrl: settings.amqpUrl,
    namespace: settings.namespace,
    security: clientSecurity(settings),
    requestTimeoutMs: settings.requestTimeout * 1000,
    noDelay: settings.amqpNoDelay,
    heartbeatSeconds: settings.amqpHeartbeat,
    nodeOrder: settings.amqpNodeOrder,
  };
}
