import { z } from 'zod';
import { setting, type SettingsOf } from '../../shared/index.js';
import {
  DEFAULT_LOGIN_BY_CLIENT_RATE,
  DEFAULT_LOGIN_BY_NAME_RATE,
  DEFAULT_MESSAGE_RATE,
  DEFAULT_PASSWORD_CHECK_RATE,
  DEFAULT_ROOM_CREATE_RATE,
  type RateRule,
  type RateRules,
} from './rate-limits.js';

/**
 * A rate as typed: `POINTS/SECONDS` (`100/10` is 100 per 10 seconds), or `off`. The defaults are
 * RateRule objects, which pass as they are.
 */
const rateRule: z.ZodType<RateRule | null, unknown> = z.union([
  z.null(),
  z.strictObject({ points: z.number().int().min(1), durationMs: z.number().int().min(1000) }),
  z
    .string()
    .trim()
    .regex(/^(off|\d{1,6}\/\d{1,6})$/, 'must be POINTS/SECONDS such as 100/10, or off')
    .transform((text, ctx) => {
      if (text === 'off') return null;
      const [points, seconds] = text.split('/').map(Number);
      if (!points || !seconds) {
        ctx.addIssue({ code: 'custom', message: 'points and seconds must be at least 1' });
        return z.NEVER;
      }
      return { points, durationMs: seconds * 1000 };
    }),
]);

/**
 * Entries for the server settings table (server/config.ts): spread them into SERVER_SETTINGS and
 * pass `rateRules(settings)` to the coordinator.
 */
export const RATE_LIMIT_SETTINGS = {
  rateMessages: setting({ env: 'WARREN_RATE_MESSAGES', flag: 'rate-messages', description: 'chat messages one user may send, as POINTS/SECONDS, or off', default: DEFAULT_MESSAGE_RATE as RateRule | null, schema: rateRule }),
  rateRooms: setting({ env: 'WARREN_RATE_ROOMS', flag: 'rate-rooms', description: 'rooms one user may create, as POINTS/SECONDS, or off', default: DEFAULT_ROOM_CREATE_RATE as RateRule | null, schema: rateRule }),
  rateLoginsByName: setting({ env: 'WARREN_RATE_LOGINS_PER_NAME', flag: 'rate-logins-per-name', description: 'password attempts to one registered name from one client, as POINTS/SECONDS, or off', default: DEFAULT_LOGIN_BY_NAME_RATE as RateRule | null, schema: rateRule }),
  rateLoginsByClient: setting({ env: 'WARREN_RATE_LOGINS_PER_CLIENT', flag: 'rate-logins-per-client', description: 'login attempts from one client, as POINTS/SECONDS, or off', default: DEFAULT_LOGIN_BY_CLIENT_RATE as RateRule | null, schema: rateRule }),
  ratePasswordChecks: setting({ env: 'WARREN_RATE_PASSWORD_CHECKS', flag: 'rate-password-checks', description: 'password verifications of the whole coordinator, as POINTS/SECONDS, or off', default: DEFAULT_PASSWORD_CHECK_RATE as RateRule | null, schema: rateRule }),
};

export type RateLimitSettings = SettingsOf<typeof RATE_LIMIT_SETTINGS>;

export function rateRules(settings: RateLimitSettings): RateRules {
  return {
    message: settings.rateMessages,
    roomCreate: settings.rateRooms,
    loginByName: settings.rateLoginsByName,
    loginByClient: settings.rateLoginsByClient,
    passwordChecks: settings.ratePasswordChecks,
  };
}
