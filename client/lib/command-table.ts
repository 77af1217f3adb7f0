import type { z } from 'zod';
import { commandRequestSchema, type CommandType } from '../../shared/index.js';

/** A command as the client may write it: fields with a default (history's room, create_room's secret) optional. */
type CommandInput<T extends CommandType> = Extract<z.input<typeof commandRequestSchema>, { type: T }>;

/** Filled in by the client, never by the caller: the type, the requestId, the session's token, the clock. */
type Filled = 'type' | 'requestId' | 'token' | 'clientTs';

/** What the caller of a command provides, derived from the protocol's schema of that command. */
export type CommandArgs<T extends CommandType> = Omit<CommandInput<T>, Filled>;

/**
 * The one table of commands: how each is named to people (in a timeout message, "no answer to
 * /users within ..."). Everything else about a command (its fields, whether it carries the token
 * and the client's clock, its reply) is read from the protocol in shared/client-messages.ts.
 */
export const COMMAND_LABELS = {
  login: 'login',
  register: '/register',
  users: '/users',
  mymsgs: '/mymsgs',
  history: '/history',
  logout: '/exit',
  heartbeat: 'heartbeat',
  create_room: '/create',
  join_room: '/join',
  leave_room: '/leave',
  rooms: '/rooms',
  invite: '/invite',
  kick: '/kick',
  promote: '/promote',
  whois: '/whois',
  edit: '/edit',
  delete: '/delete',
  room_ttl: '/roomttl',
} as const satisfies Record<CommandType, string>;

/** Which fields each command's schema has, read once from the schemas. */
const SHAPES = new Map<string, Readonly<Record<string, unknown>>>(commandRequestSchema.options.map((option) => [option.shape.type.value, option.shape]));

export function commandCarries(type: CommandType, field: 'token' | 'clientTs'): boolean {
  return SHAPES.get(type)?.[field] !== undefined;
}

/**
 * The body of a command: the caller's fields plus a fresh requestId, the token when the command
 * takes one, and the client's clock when the command records it (commands that change something).
 */
export function buildCommand<T extends CommandType>(
  type: T,
  args: CommandArgs<T>,
  context: { requestId: string; token: string | undefined; now: Date },
): CommandInput<T> {
  const body: Record<string, unknown> = { type, requestId: context.requestId };
  if (commandCarries(type, 'token')) body.token = context.token;
  Object.assign(body, args);
  if (commandCarries(type, 'clientTs')) body.clientTs = context.now.toISOString();
  // The schema of `type` lists exactly these fields; the tests check every command against it.
  return body as CommandInput<T>;
}
