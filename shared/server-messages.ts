import { z } from 'zod';
import { WIRE_ERROR_CODE_LIST } from './errors.js';
import { isoTimestamp, num, roomName, seq, token } from './fields.js';

/**
 * The wire protocol, version 1, from the coordinator to clients: events, replies and errors.
 * client-messages.ts holds the other direction; docs/PROTOCOL.md describes both for people.
 */

export const chatEventSchema = z.object({
  type: z.literal('message'),
  room: roomName,
  seq: seq,
  /** Server-assigned message id. */
  id: z.string(),
  /** Short number people type in /edit and /delete; unique across all rooms. */
  num: num,
  clientMsgId: z.string(),
  from: z.string(),
  text: z.string(),
  clientTs: isoTimestamp,
  serverTs: isoTimestamp,
  /** Set on private messages: the recipient's name. */
  to: z.string().optional(),
  editedAt: isoTimestamp.optional(),
  expiresAt: isoTimestamp.optional(),
});

export const messageUpdatedSchema = z.object({
  type: z.literal('message.updated'),
  room: roomName,
  num: num,
  seq: seq,
  text: z.string(),
  editedAt: isoTimestamp,
});

export const messageRemovedSchema = z.object({
  type: z.literal('message.removed'),
  room: roomName,
  num: num,
  seq: seq,
  reason: z.enum(['deleted', 'expired']),
  by: z.string().optional(),
  serverTs: isoTimestamp,
});

export const roomKindSchema = z.enum(['public', 'secret', 'direct']);
export const roleSchema = z.enum(['admin', 'member']);

export const roomEventSchema = z.object({
  type: z.literal('room.event'),
  room: roomName,
  event: z.enum(['created', 'joined', 'left', 'invited', 'kicked', 'promoted', 'ttl', 'archived']),
  name: z.string(),
  by: z.string().optional(),
  ttlMs: z.number().int().nullable().optional(),
  /** With `archived`: the private chat's new name (its other person's guest name ended; a new holder of the name starts afresh). */
  renamedTo: roomName.optional(),
  serverTs: isoTimestamp,
});

export const activatedEventSchema = z.object({
  type: z.literal('activated'),
  serverTs: isoTimestamp,
  online: z.number().int().nonnegative(),
});

export const roomInfoSchema = z.object({
  name: roomName,
  kind: roomKindSchema,
  /** My role, or null when I am not a member (a public room listed by /rooms). */
  role: roleSchema.nullable(),
  members: z.number().int().nonnegative(),
  online: z.number().int().nonnegative(),
  lastSeq: seq,
  /** Routing key to bind for public rooms; secret rooms and private chats are delivered to members' queues directly. */
  routingKey: z.string().optional(),
  ttlMs: z.number().int().nullable(),
});

export const presenceEventSchema = z.object({
  type: z.literal('presence'),
  event: z.enum(['joined', 'left']),
  name: z.string(),
  reason: z.enum(['exit', 'timeout']).optional(),
  serverTs: isoTimestamp,
  online: z.number().int().nonnegative(),
});

/**
 * Several presence changes in one message, oldest first; the coordinator sends one when changes
 * come close together (server/presence-batcher.ts). `serverTs` and `online` are the last change's.
 */
export const presenceBatchSchema = z.object({
  type: z.literal('presence.batch'),
  changes: z.array(presenceEventSchema).min(1),
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
  /** Rooms I am a member of, general included. */
  rooms: z.array(roomInfoSchema).default([]),
  /** Private messages that arrived while this name was offline. */
  privateBacklog: z.array(chatEventSchema).default([]),
  /** False until MIN_USERS users have been online at once; no messages are shown before. */
  active: z.boolean().default(true),
  minUsers: z.number().int().positive().default(1),
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
export const roomOkSchema = z.object({
  type: z.literal('room.ok'),
  requestId: z.string(),
  room: roomInfoSchema,
  history: z.array(chatEventSchema),
});
export const roomsListSchema = z.object({ type: z.literal('rooms.list'), requestId: z.string(), rooms: z.array(roomInfoSchema) });
export const whoisInfoSchema = z.object({
  type: z.literal('whois.info'),
  requestId: z.string(),
  name: z.string(),
  online: z.boolean(),
  since: isoTimestamp.optional(),
  /** Rooms we share, with that user's role in each. */
  rooms: z.array(z.object({ name: roomName, role: roleSchema })),
});
export const privateStatusSchema = z.object({
  type: z.literal('private.status'),
  requestId: z.string(),
  to: z.string(),
  delivered: z.boolean(),
});
export const chatHeldSchema = z.object({ type: z.literal('chat.held'), requestId: z.string(), room: roomName, seq: seq });
export const doneSchema = z.object({ type: z.literal('done'), requestId: z.string(), message: z.string() });
export const errorReplySchema = z.object({
  type: z.literal('error'),
  /** The requestId (or chat message id) of what was refused, when it could be read. */
  requestId: z.string().optional(),
  code: z.enum(WIRE_ERROR_CODE_LIST),
  message: z.string(),
  /** With RATE_LIMITED: how long to wait before trying again. */
  retryAfterMs: z.number().int().nonnegative().optional(),
});

/** The name is now registered: it cannot be used without the password, and keeps what it has. */
export const registerOkSchema = z.object({
  type: z.literal('register.ok'),
  requestId: z.string(),
  name: z.string(),
});

export const serverMessageSchema = z.discriminatedUnion('type', [
  chatEventSchema,
  presenceEventSchema,
  presenceBatchSchema,
  loginOkSchema,
  usersListSchema,
  myMessagesListSchema,
  historyListSchema,
  logoutOkSchema,
  heartbeatOkSchema,
  errorReplySchema,
  registerOkSchema,
  messageUpdatedSchema,
  messageRemovedSchema,
  roomEventSchema,
  activatedEventSchema,
  roomOkSchema,
  roomsListSchema,
  whoisInfoSchema,
  privateStatusSchema,
  chatHeldSchema,
  doneSchema,
]);

export type ChatEvent = z.infer<typeof chatEventSchema>;
export type PresenceEvent = z.infer<typeof presenceEventSchema>;
export type PresenceBatch = z.infer<typeof presenceBatchSchema>;
export type UserInfo = z.infer<typeof userInfoSchema>;
export type LoginOk = z.infer<typeof loginOkSchema>;
export type UsersList = z.infer<typeof usersListSchema>;
export type MyMessagesList = z.infer<typeof myMessagesListSchema>;
export type HistoryList = z.infer<typeof historyListSchema>;
export type ErrorReply = z.infer<typeof errorReplySchema>;
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type MessageUpdated = z.infer<typeof messageUpdatedSchema>;
export type MessageRemoved = z.infer<typeof messageRemovedSchema>;
export type RoomEvent = z.infer<typeof roomEventSchema>;
export type ActivatedEvent = z.infer<typeof activatedEventSchema>;
export type RoomInfo = z.infer<typeof roomInfoSchema>;
export type RoomOk = z.infer<typeof roomOkSchema>;
export type RoomsList = z.infer<typeof roomsListSchema>;
export type WhoisInfo = z.infer<typeof whoisInfoSchema>;
export type PrivateStatus = z.infer<typeof privateStatusSchema>;
export type ChatHeld = z.infer<typeof chatHeldSchema>;
export type Done = z.infer<typeof doneSchema>;
export type Role = z.infer<typeof roleSchema>;
export type RoomKind = z.infer<typeof roomKindSchema>;
/** Everything that concerns a room's content or membership, pushed to members. */
export type RoomBroadcast = ChatEvent | MessageUpdated | MessageRemoved | RoomEvent;
export type Reply = Exclude<ServerMessage, ChatEvent | PresenceEvent | PresenceBatch | RoomBroadcast | ActivatedEvent>;
