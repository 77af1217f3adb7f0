import type { CommandType } from './client-messages.js';
import type { Reply, ServerMessage } from './server-messages.js';

/**
 * The successful answer to each command, by type (an `error` may answer any of them). The client
 * derives each request's reply type from this map; `satisfies` makes a command without an answer,
 * or an answer that is not a server message, a compile error.
 */
export const REPLY_TYPE_OF = {
  login: 'login.ok',
  register: 'register.ok',
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
