import type { z } from 'zod';
import { ERROR_CODES, type WireErrorCode } from './errors.js';
import { LIMITS } from './limits.js';
import {
  CHAT_QUEUE_TYPES,
  COMMAND_QUEUE_TYPES,
  chatSendSchema,
  commandRequestSchema,
  type ChatSend,
  type CommandRequest,
} from './client-messages.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export type Decoded<T> =
  | { ok: true; value: T }
  | { ok: false; code: WireErrorCode; message: string; /** id of the refused request, if readable */ requestId?: string };

/**
 * Turns raw bytes from a queue into a validated message, or a refusal with a specific code.
 * Never throws: the coordinator feeds it whatever arrives.
 */
function decode<T>(body: Buffer, knownTypes: readonly string[], schema: z.ZodType<T>): Decoded<T> {
  if (body.length > LIMITS.maxPayloadBytes) {
    return refuse(ERROR_CODES.PAYLOAD_TOO_LARGE, `message is ${body.length} bytes; the limit is ${LIMITS.maxPayloadBytes}`);
  }
  let parsed: unknown;
  try {
    // Fatal decoding: invalid UTF-8 is refused rather than silently replaced, so text stays byte-exact.
    parsed = JSON.parse(UTF8.decode(body));
  } catch {
    return refuse(ERROR_CODES.MALFORMED_JSON, 'message is not valid UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return refuse(ERROR_CODES.INVALID_MESSAGE, 'message must be a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  const requestId = readRequestId(record);
  if (typeof record.type !== 'string') {
    return refuse(ERROR_CODES.INVALID_MESSAGE, 'message has no "type" string', requestId);
  }
  if (!knownTypes.includes(record.type)) {
    return refuse(
      ERROR_CODES.UNKNOWN_TYPE,
      `unknown message type ${JSON.stringify(record.type.slice(0, 40))}; expected one of ${knownTypes.join(', ')}`,
      requestId,
    );
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'message';
    return refuse(ERROR_CODES.INVALID_MESSAGE, `${where}: ${issue?.message ?? 'invalid'}`, requestId);
  }
  return { ok: true, value: result.data };
}

function refuse(code: WireErrorCode, message: string, requestId?: string): Decoded<never> {
  return requestId === undefined ? { ok: false, code, message } : { ok: false, code, message, requestId };
}

function readRequestId(record: Record<string, unknown>): string | undefined {
  const candidate = record.type === 'chat' ? record.id : record.requestId;
  return typeof candidate === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(candidate) ? candidate : undefined;
}

export function decodeChat(body: Buffer): Decoded<ChatSend> {
  const decoded = decode(body, CHAT_QUEUE_TYPES, chatSendSchema);
  if (!decoded.ok) return decoded;
  const text = decoded.value.text;
  if (text.trim().length === 0) return refuse(ERROR_CODES.TEXT_EMPTY, 'message text is empty', decoded.value.id);
  const length = [...text].length;
  if (length > LIMITS.maxTextLength) {
    return refuse(
      ERROR_CODES.TEXT_TOO_LONG,
      `message text is ${length} characters; the limit is ${LIMITS.maxTextLength}`,
      decoded.value.id,
    );
  }
  return decoded;
}

export function decodeCommand(body: Buffer): Decoded<CommandRequest> {
  return decode(body, COMMAND_QUEUE_TYPES, commandRequestSchema);
}
