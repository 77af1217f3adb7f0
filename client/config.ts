import { Command } from 'commander';
import { z } from 'zod';
import type { WarrenClientOptions } from './lib/api-types.js';
import { CLIENT_LINK_SETTINGS, linkOptions } from './link-settings.js';
// The modules themselves, not shared/index.js: the name prompt shows before the rest of shared/ loads.
import { AMQP_NO_DELAY_SETTING, addSettingFlags, booleanFromText, resolveSettings, setting, type SettingsOf } from '../shared/settings.js';

export const CLIENT_SETTINGS = {
  ...CLIENT_LINK_SETTINGS,
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
  amqpNoDelay: AMQP_NO_DELAY_SETTING,
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

/** The client library's options from the settings: one place for the chat and the script mode (client/ui/). */
export function clientOptions(settings: ClientSettings): WarrenClientOptions {
  return { ...linkOptions(settings), noDelay: settings.amqpNoDelay };
}
