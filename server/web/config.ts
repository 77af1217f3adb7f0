import { resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { CLIENT_LINK_SETTINGS } from '../../client/link-settings.js';
import { resolveSettings, addSettingFlags, setting, wholeNumber, type SettingsOf } from '../../shared/settings.js';
import { metricsSettingsFor } from '../observability/settings.js';

const hostSchema = z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'must be a host name or an IP address');
/** Origins as a browser sends them (scheme://host[:port]), comma-separated; empty: the page's own origin only. */
const originsSchema = z.preprocess((value) => (Array.isArray(value) ? value.join(',') : value), z
  .string()
  .trim()
  .regex(/^$|^https?:\/\/[A-Za-z0-9.:[\]-]+(\s*,\s*https?:\/\/[A-Za-z0-9.:[\]-]+)*$/, 'must be a comma-separated list of origins like https://chat.example.org')
  .transform((value) => (value === '' ? [] : value.split(',').map((origin) => origin.trim()))));

/** The web gateway's own metrics and health endpoint: beside the coordinator's 9464 on one host. */
export const DEFAULT_WEB_METRICS_PORT = 9465;

/** The web gateway's settings (server/web/main.ts): the broker ones mean what they mean for the terminal client. */
export const WEB_SETTINGS = {
  host: setting({ env: 'WARREN_WEB_HOST', flag: 'host', description: 'address the web page and its WebSocket listen on (0.0.0.0 in a container; publish it on 127.0.0.1 or behind a TLS proxy)', default: '127.0.0.1', schema: hostSchema }),
  port: setting({ env: 'WARREN_WEB_PORT', flag: 'port', description: 'port of the web page and its WebSocket', default: 8080, schema: wholeNumber(1, 65_535) }),
  // The same as the terminal client's (client/link-settings.ts).
  ...CLIENT_LINK_SETTINGS,
  maxSessions: setting({ env: 'WARREN_WEB_MAX_SESSIONS', flag: 'max-sessions', description: 'browser sessions served at once (each holds one broker connection); past it new ones are refused', default: 200, schema: wholeNumber(1, 100_000) }),
  resumeGrace: setting({ env: 'WARREN_WEB_RESUME_GRACE', flag: 'resume-grace', description: 'seconds a session outlives its dropped WebSocket, waiting for the page to reconnect and resume it', default: 30, schema: wholeNumber(1, 3600) }),
  replayFrames: setting({ env: 'WARREN_WEB_REPLAY_FRAMES', flag: 'replay-frames', description: 'frames kept per session for a reconnecting page; a page that missed more draws afresh', default: 2000, schema: wholeNumber(10, 100_000) }),
  allowedOrigins: setting({ env: 'WARREN_WEB_ALLOWED_ORIGINS', flag: 'allowed-origins', description: "other origins whose pages may open the WebSocket (behind a proxy: the public https:// origin); the page's own always may", default: [] as string[], schema: originsSchema }),
  staticDir: setting({ env: 'WARREN_WEB_STATIC_DIR', flag: 'static-dir', description: 'folder of the built page (npm run build writes dist/web)', default: resolve(import.meta.dirname, '..', '..', 'web'), schema: z.string().min(1) }),
  ...metricsSettingsFor(DEFAULT_WEB_METRICS_PORT),
};

export type WebSettings = SettingsOf<typeof WEB_SETTINGS>;

export function webCommand(): Command {
  return new Command('warren-web').description('warren web gateway: serves the chat page and runs one client per browser session.');
}

/** Throws CONFIG_INVALID (or commander's error for --help and unknown flags); for tests and tools. */
export function parseWebSettings(argv: string[], env: Record<string, string | undefined>): WebSettings {
  const command = addSettingFlags(webCommand(), WEB_SETTINGS).exitOverride();
  command.parse(argv, { from: 'user' });
  return resolveSettings(WEB_SETTINGS, command.opts(), env);
}
