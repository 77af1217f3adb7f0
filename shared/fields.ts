import { z } from 'zod';
import { MAX_TTL_MS, MIN_TTL_MS } from './duration.js';

/**
 * The field rules the wire protocol's messages are built from (client-messages.ts,
 * server-messages.ts). Only isoTimestamp leaves shared/: the others have names too generic for the barrel.
 */

export const isoTimestamp = z.iso.datetime({ offset: false, precision: 3 });
export const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');
/**
 * Text people typed. JSON's \u escapes can carry a lone surrogate, which is not Unicode: SQLite
 * would store U+FFFD instead, and history would differ from what was delivered. Refused.
 */
export const typedText = z.string().refine((value) => !/\p{Cs}/u.test(value), 'not valid Unicode (a lone surrogate)');
export const token = z.string().min(16).max(128);
/** Room names on the wire: user rooms (see rooms.ts) or `dm:a:b` private conversations. */
export const roomName = z.string().min(1).max(200);
export const userName = z.string().min(1).max(64);
export const ttlMs = z.number().int().min(MIN_TTL_MS).max(MAX_TTL_MS);
export const num = z.number().int().positive();
export const seq = z.number().int().nonnegative();
/** Commands that change something carry the client's clock too, so the log has both timestamps. */
export const clientTs = isoTimestamp.optional();
