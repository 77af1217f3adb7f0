import {
  DEFAULT_ROOM,
  ERROR_CODES,
  LIMITS,
  WarrenError,
  checkRoomName,
  checkUserName,
  formatDuration,
  isDirectRoom,
  nameKey,
  type CommandRequest,
  type Role,
  type RoomEvent,
} from '../../shared/index.js';
import { emptyOutcome, type Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import { deliverToRoom, roomInfo } from './room-delivery.js';
import type { MemberRecord, RoomRecord } from '../store/store.js';
import type { HandlerContext } from './context.js';

type RequestOf<T extends CommandRequest['type']> = Extract<CommandRequest, { type: T }>;

/** Rooms: creating, joining, leaving, listing, and the admin actions. Every check is made here, never trusted from a client. */
export function createRoom(request: RequestOf<'create_room'>, session: Session, ctx: HandlerContext): Outcome {
  const check = checkRoomName(request.room);
  if (!check.ok) throw new WarrenError(ERROR_CODES.ROOM_INVALID, `invalid room name: ${check.reason}`);
  if (ctx.store.room(check.room)) throw new WarrenError(ERROR_CODES.ROOM_EXISTS, `#${check.room} already exists; /join it instead`);
  const serverTs = ctx.now.toISOString();
  ctx.store.createRoom({ name: check.room, kind: request.secret ? 'secret' : 'public', createdBy: session.name, createdAt: serverTs, ttlMs: null });
  ctx.store.addMember({ room: check.room, nameKey: session.nameKey, name: session.name, role: 'admin' });
  const room = existing(ctx, check.room);
  const outcome = emptyOutcome();
  outcome.log.push(roomLog('created', room.name, session.name, request.clientTs, serverTs, request.secret ? 'secret' : 'public'));
  outcome.replies.push({ queue: session.replyQueue, body: { type: 'room.ok', requestId: request.requestId, room: roomInfo(ctx, room, session.nameKey), history: [] } });
  return outcome;
}

export function joinRoom(request: RequestOf<'join_room'>, session: Session, ctx: HandlerContext): Outcome {
  const room = visibleRoom(ctx, request.room, session);
  if (room.name === DEFAULT_ROOM || ctx.store.member(room.name, session.nameKey)) {
    return roomOk(request.requestId, room, session, ctx);
  }
  if (room.kind === 'secret') throw new WarrenError(ERROR_CODES.NOT_INVITED, `#${room.name} is invite-only; ask an admin of it to /invite you`);
  // A room keeps an admin: one its last admin left empty is taken over by whoever joins it next.
  const role = ctx.store.members(room.name).some((member) => member.role === 'admin') ? 'member' : 'admin';
  ctx.store.addMember({ room: room.name, nameKey: session.nameKey, name: session.name, role });
  const outcome = roomOk(request.requestId, room, session, ctx);
  announce(outcome, ctx, room, 'joined', session.name, undefined, request.clientTs);
  return outcome;
}

export function leaveRoom(request: RequestOf<'leave_room'>, session: Session, ctx: HandlerContext): Outcome {
  const room = visibleRoom(ctx, request.room, session);
  if (room.name === DEFAULT_ROOM) throw new WarrenError(ERROR_CODES.CANNOT_LEAVE, `everyone stays in #${DEFAULT_ROOM}; use /exit to leave the chat`);
  const member = membership(ctx, room, session.nameKey, 'you are not in');
  if (member.role === 'admin' && otherAdmins(ctx, room, member).length === 0 && ctx.store.members(room.name).length > 1) {
    throw new WarrenError(ERROR_CODES.LAST_ADMIN, `you are the last admin of #${room.name}; /promote someone before leaving`);
  }
  const outcome = emptyOutcome();
  announce(outcome, ctx, room, 'left', session.name, undefined, request.clientTs);
  ctx.store.removeMember(room.name, session.nameKey);
  outcome.replies.push({ queue: session.replyQueue, body: { type: 'done', requestId: request.requestId, message: `You left #${room.name}.` } });
  return outcome;
}

export function listRooms(request: RequestOf<'rooms'>, session: Session, ctx: HandlerContext): Outcome {
  const rooms = ctx.store
    .rooms()
    .filter((room) => room.kind === 'public' || (room.kind === 'secret' && ctx.store.member(room.name, session.nameKey)))
    .map((room) => roomInfo(ctx, room, session.nameKey));
  const outcome = emptyOutcome();
  outcome.replies.push({ queue: session.replyQueue, body: { type: 'rooms.list', requestId: request.requestId, rooms } });
  return outcome;
}

export function memberAction(request: RequestOf<'invite' | 'kick' | 'promote'>, session: Session, ctx: HandlerContext): Outcome {
  const room = visibleRoom(ctx, request.room, session);
  if (room.name === DEFAULT_ROOM) throw new WarrenError(ERROR_CODES.NOT_ADMIN, `#${DEFAULT_ROOM} has no admins; everyone is in it`);
  const me = membership(ctx, room, session.nameKey, 'you are not in');
  if (me.role !== 'admin') {
    throw new WarrenError(ERROR_CODES.NOT_ADMIN, `only an admin of #${room.name} can ${request.type}; you are a member`);
  }
  const check = checkUserName(request.user);
  if (!check.ok) throw new WarrenError(ERROR_CODES.NAME_INVALID, `invalid user name: ${check.reason}`);
  const key = nameKey(check.name);
  const target = ctx.store.member(room.name, key);
  const outcome = emptyOutcome();
  const displayName = target?.name ?? ctx.registry.find(key)?.name ?? check.name;
  switch (request.type) {
    case 'invite': {
      if (target) throw new WarrenError(ERROR_CODES.ALREADY_MEMBER, `${target.name} is already in #${room.name}`);
      ctx.store.addMember({ room: room.name, nameKey: key, name: displayName, role: 'member' });
      announce(outcome, ctx, room, 'invited', displayName, session.name, request.clientTs);
      const invited = ctx.registry.find(key);
      if (invited && room.kind === 'public') {
        // Public rooms reach members through the exchange; tell the invitee directly so their client binds it.
        outcome.replies.push({ queue: invited.replyQueue, body: roomEvent(room, 'invited', displayName, session.name, ctx) });
      }
      break;
    }
    case 'kick': {
      if (!target) throw new WarrenError(ERROR_CODES.NOT_A_MEMBER, `${displayName} is not in #${room.name}`);
      if (key === session.nameKey) throw new WarrenError(ERROR_CODES.COMMAND_USAGE, 'use /leave to leave a room yourself');
      announce(outcome, ctx, room, 'kicked', target.name, session.name, request.clientTs);
      ctx.store.removeMember(room.name, key);
      break;
    }
    case 'promote': {
      if (!target) throw new WarrenError(ERROR_CODES.NOT_A_MEMBER, `${displayName} is not in #${room.name}; /invite them first`);
      if (target.role === 'admin') throw new WarrenError(ERROR_CODES.ALREADY_MEMBER, `${target.name} is already an admin of #${room.name}`);
      ctx.store.setRole(room.name, key, 'admin');
      announce(outcome, ctx, room, 'promoted', target.name, session.name, request.clientTs);
      break;
    }
  }
  outcome.replies.push({ queue: session.replyQueue, body: { type: 'done', requestId: request.requestId, message: doneText(request.type, displayName, room.name) } });
  return outcome;
}

export function setRoomTtl(request: RequestOf<'room_ttl'>, session: Session, ctx: HandlerContext): Outcome {
  const room = visibleRoom(ctx, request.room, session);
  if (room.name === DEFAULT_ROOM) throw new WarrenError(ERROR_CODES.NOT_ADMIN, `#${DEFAULT_ROOM} has no admins; its messages do not expire`);
  const me = membership(ctx, room, session.nameKey, 'you are not in');
  if (me.role !== 'admin') throw new WarrenError(ERROR_CODES.NOT_ADMIN, `only an admin of #${room.name} can set its time-to-live`);
  ctx.store.setRoomTtl(room.name, request.ttlMs);
  const outcome = emptyOutcome();
  announce(outcome, ctx, { ...room, ttlMs: request.ttlMs }, 'ttl', session.name, session.name, request.clientTs, request.ttlMs);
  outcome.replies.push({
    queue: session.replyQueue,
    body: { type: 'done', requestId: request.requestId, message: request.ttlMs === null ? `Messages in #${room.name} no longer expire.` : `New messages in #${room.name} now expire after ${formatDuration(request.ttlMs)}.` },
  });
  return outcome;
}

export function whois(request: RequestOf<'whois'>, session: Session, ctx: HandlerContext): Outcome {
  const check = checkUserName(request.user);
  if (!check.ok) throw new WarrenError(ERROR_CODES.NAME_INVALID, `invalid user name: ${check.reason}`);
  const key = nameKey(check.name);
  const online = ctx.registry.find(key);
  const mine = new Set(ctx.store.roomsOf(session.nameKey).map((member) => member.room));
  const shared = ctx.store
    .roomsOf(key)
    .filter((member) => mine.has(member.room) && !isDirectRoom(member.room))
    .map((member) => ({ name: member.room, role: member.role }));
  const rooms = online ? [{ name: DEFAULT_ROOM, role: 'member' as Role }, ...shared] : shared;
  const outcome = emptyOutcome();
  outcome.replies.push({
    queue: session.replyQueue,
    body: {
      type: 'whois.info',
      requestId: request.requestId,
      name: online?.name ?? ctx.store.roomsOf(key)[0]?.name ?? check.name,
      online: online !== undefined,
      ...(online ? { since: online.since } : {}),
      rooms,
    },
  });
  return outcome;
}

function roomOk(requestId: string, room: RoomRecord, session: Session, ctx: HandlerContext): Outcome {
  const outcome = emptyOutcome();
  const active = ctx.activation.active;
  const history = active ? ctx.store.history(room.name, { limit: Math.min(ctx.limits.historyOnJoin, LIMITS.maxHistoryPage) }) : [];
  const info = roomInfo(ctx, existing(ctx, room.name), session.nameKey);
  // Before activation nothing has been shown: the room's held messages all come after seq 0 (as at login).
  outcome.replies.push({ queue: session.replyQueue, body: { type: 'room.ok', requestId, room: active ? info : { ...info, lastSeq: 0 }, history } });
  return outcome;
}

/** A room the user may know about: secret rooms are unknown to non-members, private chats to everyone. */
function visibleRoom(ctx: HandlerContext, raw: string, session: Session): RoomRecord {
  const check = checkRoomName(raw);
  if (!check.ok) throw new WarrenError(ERROR_CODES.ROOM_INVALID, `invalid room name: ${check.reason}`);
  const room = ctx.store.room(check.room);
  // A secret room a user is not in answers exactly as a room that does not exist: same code, same text.
  const hidden = room?.kind === 'secret' && !ctx.store.member(room.name, session.nameKey);
  if (!room || room.kind === 'direct' || hidden) throw new WarrenError(ERROR_CODES.UNKNOWN_ROOM, `no room named #${check.room}; /create it`);
  return room;
}

function membership(ctx: HandlerContext, room: RoomRecord, key: string, prefix: string): MemberRecord {
  const member = ctx.store.member(room.name, key);
  if (!member) throw new WarrenError(ERROR_CODES.NOT_A_MEMBER, `${prefix} #${room.name}`);
  return member;
}

function otherAdmins(ctx: HandlerContext, room: RoomRecord, me: MemberRecord): MemberRecord[] {
  return ctx.store.members(room.name).filter((member) => member.role === 'admin' && member.nameKey !== me.nameKey);
}

function existing(ctx: HandlerContext, name: string): RoomRecord {
  const room = ctx.store.room(name);
  if (!room) throw new Error(`room ${name} vanished`);
  return room;
}

function roomEvent(room: RoomRecord, event: RoomEvent['event'], name: string, by: string | undefined, ctx: HandlerContext, ttlMs?: number | null): RoomEvent {
  return {
    type: 'room.event',
    room: room.name,
    event,
    name,
    serverTs: ctx.now.toISOString(),
    ...(by === undefined ? {} : { by }),
    ...(ttlMs === undefined ? {} : { ttlMs }),
  };
}

/** Tells the room's online members (including the one concerned) and writes the log line. */
function announce(
  outcome: Outcome,
  ctx: HandlerContext,
  room: RoomRecord,
  event: RoomEvent['event'],
  name: string,
  by: string | undefined,
  clientTs: string | undefined,
  ttlMs?: number | null,
): void {
  const serverTs = ctx.now.toISOString();
  outcome.log.push(roomLog(event, room.name, name, clientTs, serverTs, ttlMs === undefined ? undefined : `ttl_ms=${ttlMs ?? 'off'}`, by));
  deliverToRoom(outcome, ctx, room, roomEvent(room, event, name, by, ctx, ttlMs));
  // The one kicked is no longer a member by the time the message goes out: tell them directly too.
  if (event === 'kicked' && room.kind === 'public') {
    const kicked = ctx.registry.find(nameKey(name));
    if (kicked) outcome.replies.push({ queue: kicked.replyQueue, body: roomEvent(room, event, name, by, ctx) });
  }
}

function roomLog(
  event: RoomEvent['event'],
  room: string,
  name: string,
  clientTs: string | undefined,
  serverTs: string,
  detail?: string,
  by?: string,
): Outcome['log'][number] {
  return {
    kind: 'ROOM',
    event,
    room,
    name,
    serverTs,
    ...(clientTs === undefined ? {} : { clientTs }),
    ...(by === undefined ? {} : { by }),
    ...(detail === undefined ? {} : { detail }),
  };
}

function doneText(action: 'invite' | 'kick' | 'promote', user: string, room: string): string {
  switch (action) {
    case 'invite':
      return `${user} is now a member of #${room}.`;
    case 'kick':
      return `${user} was removed from #${room}.`;
    case 'promote':
      return `${user} is now an admin of #${room}.`;
  }
}
