import { z } from 'zod';
import { DEFAULT_ROOM, LIMITS } from './limits.js';
import { clientTs, id, isoTimestamp, num, roomName, seq, token, ttlMs, typedText, userName } from './fields.js';

/**
 * The wire protocol, version 1, from clients to the coordinator: the chat queue and the command
 * queue. Every body is one UTF-8 JSON object with a `type`. server-messages.ts holds the other
 * direction. docs/PROTOCOL.md describes the same thing for people; keep them in step.
 */

// ---------------------------------------------------------------- client → coordinator: chat queue

export const chatSendSchema = z.strictObject({
  type: z.literal('chat'),
  /** Chosen by the client, unique per session: lets the coordinator drop redeliveries. */
  id,
  token,
  /** The name the sender claims; must be the one the token was issued to. */
  from: z.string().min(1).max(64),
  room: roomName.default(DEFAULT_ROOM),
  /** A private message to this user instead of the room. */
  to: userName.optional(),
  /** The message disappears this long after the coordinator accepts it. */
  ttlMs: ttlMs.optional(),
  text: typedText,
  clientTs: isoTimestamp,
});

// ------------------------------------------------------------- client → coordinator: command queue

export const loginRequestSchema = z.strictObject({
  type: z.literal('login'),
  requestId: id,
  name: z.string().max(256),
  clientId: id,
  /** The name's password, when it is a registered name (crosses only the command queue, which only the coordinator reads). */
  password: z.string().max(1024).optional(),
  /** The wire protocol the client speaks (shared/delivery-batch.ts); absent: version 1. */
  protocol: z.number().int().min(1).max(1000).optional(),
  clientTs: isoTimestamp.optional(),
});
/** Registers the logged-in (guest) name with a password: from then on it is an account. */
export const registerRequestSchema = z.strictObject({
  type: z.literal('register'),
  requestId: id,
  token,
  password: z.string().max(1024),
  clientTs,
});
export const usersRequestSchema = z.strictObject({ type: z.literal('users'), requestId: id, token });
export const myMessagesRequestSchema = z.strictObject({
  type: z.literal('mymsgs'),
  requestId: id,
  token,
  limit: z.number().int().min(1).max(LIMITS.maxHistoryPage).optional(),
});
export const historyRequestSchema = z.strictObject({
  type: z.literal('history'),
  requestId: id,
  token,
  room: roomName.default(DEFAULT_ROOM),
  afterSeq: seq.optional(),
  limit: z.number().int().min(1).max(LIMITS.maxHistoryPage).optional(),
});
export const logoutRequestSchema = z.strictObject({ type: z.literal('logout'), requestId: id, token, clientTs: isoTimestamp.optional() });
export const heartbeatRequestSchema = z.strictObject({
  type: z.literal('heartbeat'),
  requestId: id.optional(),
  token,
});

const roomRequest = <T extends string>(type: T) =>
  z.strictObject({ type: z.literal(type), requestId: id, token, room: roomName, clientTs });
const memberRequest = <T extends string>(type: T) =>
  z.strictObject({ type: z.literal(type), requestId: id, token, room: roomName, user: userName, clientTs });

export const createRoomRequestSchema = z.strictObject({
  type: z.literal('create_room'),
  requestId: id,
  token,
  room: roomName,
  secret: z.boolean().default(false),
  clientTs,
});
export const joinRoomRequestSchema = roomRequest('join_room');
export const leaveRoomRequestSchema = roomRequest('leave_room');
export const roomsRequestSchema = z.strictObject({ type: z.literal('rooms'), requestId: id, token });
export const inviteRequestSchema = memberRequest('invite');
export const kickRequestSchema = memberRequest('kick');
export const promoteRequestSchema = memberRequest('promote');
export const whoisRequestSchema = z.strictObject({ type: z.literal('whois'), requestId: id, token, user: userName });
export const editRequestSchema = z.strictObject({ type: z.literal('edit'), requestId: id, token, num, text: typedText, clientTs });
export const deleteRequestSchema = z.strictObject({ type: z.literal('delete'), requestId: id, token, num, clientTs });
export const roomTtlRequestSchema = z.strictObject({
  type: z.literal('room_ttl'),
  requestId: id,
  token,
  room: roomName,
  ttlMs: ttlMs.nullable(),
  clientTs,
});

export const commandRequestSchema = z.discriminatedUnion('type', [
  loginRequestSchema,
  registerRequestSchema,
  usersRequestSchema,
  myMessagesRequestSchema,
  historyRequestSchema,
  logoutRequestSchema,
  heartbeatRequestSchema,
  createRoomRequestSchema,
  joinRoomRequestSchema,
  leaveRoomRequestSchema,
  roomsRequestSchema,
  inviteRequestSchema,
  kickRequestSchema,
  promoteRequestSchema,
  whoisRequestSchema,
  editRequestSchema,
  deleteRequestSchema,
  roomTtlRequestSchema,
]);

export type CommandRequest = z.infer<typeof commandRequestSchema>;
export type CommandType = CommandRequest['type'];

export const CHAT_QUEUE_TYPES = ['chat'] as const;
/** The command names, read off the schema above: that union is the one place they are written. */
export const COMMAND_QUEUE_TYPES: readonly CommandType[] = commandRequestSchema.options.map((option) => option.shape.type.value);

export type ChatSend = z.infer<typeof chatSendSchema>;
export type LoginRequest = z.infer<typeof loginRequestSchema>;
