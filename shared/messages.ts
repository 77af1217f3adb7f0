import { z } from 'zod';
import { ERROR_CODE_LIST } from './errors.js';
import { DEFAULT_ROOM, LIMITS } from './limits.js';

/**
 * The wire protocol, version 1. Every body is one UTF-8 JSON object with a `type`.
 * docs/PROTOCOL.md describes the same thing for people; keep them in step.
 */

export const isoTimestamp = z.iso.datetime({ offset: false, precision: 3 });
const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');
const token = z.string().min(16).max(128);
const roomName = z.string().min(1).max(32);
const seq = z.number().int().nonnegative();

// ---------------------------------------------------------------- client → coordinator: chat queue

export const chatSendSchema = z.strictObject({
  type: z.literal('chat'),
  /** Chosen by the client, unique per session: lets the coordinator drop redeliveries. */
  id,
  token,
  /** The name the sender claims; must be the one the token was issued to. */
  from: z.string().min(1).max(64),
  room: roomName.default(DEFAULT_ROOM),
  text: z.string(),
  clientTs: isoTimestamp,
});

// ------------------------------------------------------------- client → coordinator: command queue

export const loginRequestSchema = z.strictObject({
  type: z.literal('login'),
  requestId: id,
  name: z.string().max(256),
  clientId: id,
  clientTs: isoTimestamp.optional(),
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
export const logoutRequestSchema = z.strictObject({ type: z.literal('logout'), requestId: id, token });
export const heartbeatRequestSchema = z.strictObject({
  type: z.literal('heartbeat'),
  requestId: id.optional(),
  token,
});

export const commandRequestSchema = z.discriminatedUnion('type', [
  loginRequestSchema,
  usersRequestSchema,
  myMessagesRequestSchema,
  historyRequestSchema,
  logoutRequestSchema,
  heartbeatRequestSchema,
]);

export const CHAT_QUEUE_TYPES = ['chat'] as const;
export const COMMAND_QUEUE_TYPES = ['login', 'users', 'mymsgs', 'history', 'logout', 'heartbeat'] as const;

// ------------------------------------------------------------------------ coordinator → clients

export const chatEventSchema = z.object({
  type: z.literal('message'),
  room: roomName,
  seq: seq,
  /** Server-assigned message id. */
  id: z.string(),
  clientMsgId: z.string(),
  from: z.string(),
  text: z.string(),
  clientTs: isoTimestamp,
  serverTs: isoTimestamp,
});

export const presenceEventSchema = z.object({
  type: z.literal('presence'),
  event: z.enum(['joined', 'left']),
  name: z.string(),
  reason: z.enum(['exit', 'timeout']).optional(),
  serverTs: isoTimestamp,
  online: z.number().int().nonnegative(),
});

export const userInfoSchema = z.object({ name: z.string(), since: isoTimestamp });

export const loginOkSchema = z.object({
  type: z.literal('login.ok'),
  requestId: z.string(),
  name: z.string(),
  token,
  serverTs: isoTimestamp,
  heartbeatIntervalMs: z.number().int().positive(),
  sessionTimeoutMs: z.number().int().positive(),
  room: roomName,
  lastSeq: seq,
  history: z.array(chatEventSchema),
  users: z.array(userInfoSchema),
});
export const usersListSchema = z.object({
  type: z.literal('users.list'),
  requestId: z.string(),
  users: z.array(userInfoSchema),
});
export const myMessagesListSchema = z.object({
  type: z.literal('mymsgs.list'),
  requestId: z.string(),
  messages: z.array(chatEventSchema),
});
export const historyListSchema = z.object({
  type: z.literal('history.list'),
  requestId: z.string(),
  room: roomName,
  lastSeq: seq,
  messages: z.array(chatEventSchema),
});
export const logoutOkSchema = z.object({ type: z.literal('logout.ok'), requestId: z.string() });
export const heartbeatOkSchema = z.object({ type: z.literal('heartbeat.ok'), requestId: z.string() });
export const errorReplySchema = z.object({
  type: z.literal('error'),
  /** The requestId (or chat message id) of what was refused, when it could be read. */
  requestId: z.string().optional(),
  code: z.enum(ERROR_CODE_LIST),
  message: z.string(),
});

export const serverMessageSchema = z.discriminatedUnion('type', [
  chatEventSchema,
  presenceEventSchema,
  loginOkSchema,
  usersListSchema,
  myMessagesListSchema,
  historyListSchema,
  logoutOkSchema,
  heartbeatOkSchema,
  errorReplySchema,
]);

export type ChatSend = z.infer<typeof chatSendSchema>;
export type CommandRequest = z.infer<typeof commandRequestSchema>;
export type LoginRequest = z.infer<typeof loginRequestSchema>;
export type ChatEvent = z.infer<typeof chatEventSchema>;
export type PresenceEvent = z.infer<typeof presenceEventSchema>;
export type UserInfo = z.infer<typeof userInfoSchema>;
export type LoginOk = z.infer<typeof loginOkSchema>;
export type UsersList = z.infer<typeof usersListSchema>;
export type MyMessagesList = z.infer<typeof myMessagesListSchema>;
export type HistoryList = z.infer<typeof historyListSchema>;
export type ErrorReply = z.infer<typeof errorReplySchema>;
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type Reply = Exclude<ServerMessage, ChatEvent | PresenceEvent>;
