import { z } from 'zod';
import { ERROR_CODES, LIMITS, type ChatEvent, type ErrorCode } from '../../shared/index.js';

/**
 * The wire protocol of the Actividad 2 chat, as its unmodified Python clients speak it.
 * The names are fixed by those clients: they cannot carry warren's namespace (docs/LEGACY.md).
 */
export const LEGACY = {
  /** Requests, published by clients to the default exchange (persistent). */
  requestQueue: 'server_pending_messages',
  /** Direct exchange of replies; the routing key is the client's uuid. */
  replyExchange: 'user_channel',
  /** Fanout exchange of the public chat. */
  chatExchange: 'broadcast',
} as const;

/**
 * Declared exactly as the original server declared them. Clients declare `broadcast` themselves
 * with pika's defaults and bind to `user_channel` without declaring it, so any other property
 * would fail their declaration with 406 PRECONDITION_FAILED.
 */
export const LEGACY_DECLARATIONS = {
  requestQueue: { durable: true, exclusive: false, autoDelete: false },
  replyExchange: { type: 'direct', options: { durable: false, autoDelete: false, internal: false } },
  chatExchange: { type: 'fanout', options: { durable: false, autoDelete: false, internal: false } },
} as const;

export const LEGACY_REQUEST_TYPES = ['login', 'message', 'users_list', 'user_messages_list', 'disconnect'] as const;

/** Epoch seconds as Python's `datetime.timestamp()` gives them; bounded so they make a valid date. */
const epochSeconds = z.number().min(0).max(253_402_300_799, 'after the year 9999');

/** Unknown fields are ignored, not refused: other forks of those clients add some (a password). */
const base = {
  id: z.uuid(),
  username: z.string(),
  client_uuid: z.uuid(),
  timestamp: epochSeconds,
};

export const legacyRequestSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('login') }),
  z.object({ ...base, type: z.literal('message'), message: z.string() }),
  z.object({ ...base, type: z.literal('users_list') }),
  z.object({ ...base, type: z.literal('user_messages_list') }),
  z.object({ ...base, type: z.literal('disconnect') }),
]);

export type LegacyRequest = z.infer<typeof legacyRequestSchema>;

/** What goes back on `user_channel`. `error` is ours: those clients print "Problemas con el servidor" for it. */
export type LegacyReply =
  | { type: 'login'; response: 'ok' | 'nope' }
  | { type: 'users_list'; response: string[] }
  | { type: 'user_messages'; response: string[] }
  | { type: 'error'; response: string };

/** A chat line on `broadcast`: the request's shape, with the server's time as `timestamp`. */
export interface LegacyChatLine {
  id: string;
  type: 'message';
  username: string;
  client_uuid: string;
  message: string;
  timestamp: number;
}

export type LegacyDecoded =
  | { ok: true; value: LegacyRequest }
  | {
      ok: false;
      code: ErrorCode;
      message: string;
      /** Read from the broken request where possible, to answer it and to label the log line. */
      requestId?: string;
      clientUuid?: string;
      username?: string;
    };

/** Raw bytes from `server_pending_messages` to a request, or a refusal with a specific code. Never throws. */
export function decodeLegacy(body: Buffer): LegacyDecoded {
  if (body.length > LIMITS.maxPayloadBytes) {
    return { ok: false, code: ERROR_CODES.PAYLOAD_TOO_LARGE, message: `request is ${body.length} bytes; the limit is ${LIMITS.maxPayloadBytes}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, code: ERROR_CODES.MALFORMED_JSON, message: 'request is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, code: ERROR_CODES.INVALID_MESSAGE, message: 'request must be a JSON object' };
  }
  const record = parsed as Record<string, unknown>;
  const known = readKnown(record);
  if (typeof record.type !== 'string') {
    return { ok: false, code: ERROR_CODES.INVALID_MESSAGE, message: 'request has no "type" string', ...known };
  }
  if (!(LEGACY_REQUEST_TYPES as readonly string[]).includes(record.type)) {
    return {
      ok: false,
      code: ERROR_CODES.UNKNOWN_TYPE,
      message: `unknown request type ${JSON.stringify(record.type.slice(0, 40))}; expected one of ${LEGACY_REQUEST_TYPES.join(', ')}`,
      ...known,
    };
  }
  const result = legacyRequestSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'request';
    return { ok: false, code: ERROR_CODES.INVALID_MESSAGE, message: `${where}: ${issue?.message ?? 'invalid'}`, ...known };
  }
  return { ok: true, value: result.data };
}

function readKnown(record: Record<string, unknown>): { requestId?: string; clientUuid?: string; username?: string } {
  const known: { requestId?: string; clientUuid?: string; username?: string } = {};
  if (z.uuid().safeParse(record.id).success) known.requestId = record.id as string;
  if (z.uuid().safeParse(record.client_uuid).success) known.clientUuid = record.client_uuid as string;
  if (typeof record.username === 'string' && record.username.length <= LIMITS.maxNameLength * 4) known.username = record.username;
  return known;
}

/** Epoch seconds (a float) to warren's timestamp format, ISO-8601 UTC with milliseconds. */
export function isoFromEpochSeconds(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString();
}

export function epochSecondsFromIso(iso: string): number {
  return Date.parse(iso) / 1000;
}

/** A public chat message as those clients expect it on `broadcast`. */
export function chatLine(event: ChatEvent, clientUuid: string): LegacyChatLine {
  return {
    id: event.clientMsgId,
    type: 'message',
    username: event.from,
    client_uuid: clientUuid,
    message: event.text,
    timestamp: epochSecondsFromIso(event.serverTs),
  };
}

/** One entry of a `user_messages` reply: the request as it was sent, as a JSON string, with the client's time. */
export function sentMessageEntry(event: ChatEvent, clientUuid: string): string {
  const request: LegacyChatLine = {
    id: event.clientMsgId,
    type: 'message',
    username: event.from,
    client_uuid: clientUuid,
    message: event.text,
    timestamp: epochSecondsFromIso(event.clientTs),
  };
  return JSON.stringify(request);
}

/**
 * The copy of a refused request for the dead-letter queue, with `client_uuid` blanked: it is the
 * only credential a legacy client has, and whoever reads that queue must not be able to speak in
 * its name (server/dead-letter.ts does the same for warren's tokens). Bodies that are not JSON
 * objects are kept as they came.
 */
export function legacyDeadLetterBody(content: Buffer): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch {
    return content;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('client_uuid' in parsed)) return content;
  return Buffer.from(JSON.stringify({ ...parsed, client_uuid: '[redacted]' }));
}
