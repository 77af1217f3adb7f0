import { z } from 'zod';
import { WIRE_ERROR_CODE_LIST } from './errors.js';
import { MAX_TTL_MS, MIN_TTL_MS } from './duration.js';
import { DEFAULT_ROOM, LIMITS } from './limits.js';

/**
 * The wire protocol, version 1. Every body is one UTF-8 JSON object with a `type`.
 * docs/PROTOCOL.md describes the same thing for people; keep them in step.
 */

export const isoTimestamp = z.iso.datetime({ offset: false, precision: 3 });
const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');
/**
 * Text people typed. JSON's \u escapes can carry a lone surrogate, which is not Unicode: SQLite
 * would store U+FFFD instead, and history would differ from what was delivered. Refused.
 */
const typedText = z.string().refine((value) => !/\p{Cs}/u.test(value), 'not valid Unicode (a lone surrogate)');
const token = z.string().min(16).max(128);
/** Room names on the wire: user rooms (see rooms.ts) or `dm:a:b` private conversations. */
const roomName = z.string().min(1).max(200);
const userName = z.string().min(1).max(64);
const ttlMs = z.number().int().min(MIN_TTL_MS).max(MAX_TTL_MS);
const num = z.number().int().positive();
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
export const logoutRequestSchema = z.strictObject({ type: z.literal('logout'), requestId: id, token, clientTs: isoTimestamp.optional() });
export const heartbeatRequestSchema = z.strictObject({
  type: z.literal('heartbeat'),
  requestId: id.optional(),
  token,
});

/** Commands that change something carry the client's clock too, so the log has both timestamps. */
const clientTs = isoTimestamp.optional();
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

// ------------------------------------------------------------------------ coordinator → clients

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
  event: z.enum(['created', 'joined', 'left', 'invited', 'kicked', 'promoted', 'ttl']),
  name: z.string(),
  by: z.string().optional(),
  ttlMs: z.number().int().nullable().optional(),
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

export type ChatSend = z.infer<typeof chatSendSchema>;
export type LoginRequest = z.infer<typeof loginRequestSchema>;
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

/**
 * The successful answer to each command, by type (an `error` may answer any of them). The client
 * derives each request's reply type from this map; `satisfies` makes a command without an answer,
 * or an answer that is not a server message, a compile error.
 */
export const REPLY_TYPE_OF = {
  login: 'login.ok',
  users: 'users.list',
  mymsgs: 'mymsgs.list',
  history: 'history.list',
  logout: 'logout.ok',
  heartbeat: 'heartbeat.ok',
  create_room: 'room.ok',
  join_room: 'room.ok',
  leave_room: 'done',
  rooms: 'rooms.list',
  invite: 'done',
  kick: 'done',
  promote: 'done',
  whois: 'whois.info',
  edit: 'done',
  delete: 'done',
  room_ttl: 'done',
} as const satisfies Record<CommandType, Reply['type']>;

export type ReplyOf<T extends CommandType> = Extract<ServerMessage, { type: (typeof REPLY_TYPE_OF)[T] }>;

/** True when `message` is the successful answer a `type` command expects. */
export function isReplyOf<T extends CommandType>(type: T, message: ServerMessage): message is ReplyOf<T> {
  return message.type === REPLY_TYPE_OF[type];
}
