import { DEFAULT_ROOM, nameKey, type RoomInfo, type ServerMessage, type Topology } from '../../shared/index.js';
import type { HandlerContext } from './context.js';
import type { Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import type { RoomRecord } from '../store/store.js';

type Ctx = Pick<HandlerContext, 'registry' | 'store' | 'topology'>;

/**
 * Public rooms go through the topic exchange (members bind `room.<name>`). Secret rooms and
 * private chats never touch the exchange: the coordinator sends to each online member's own
 * exclusive queue, so no one can read them by binding a queue of their own.
 */
export function deliverToRoom(outcome: Outcome, ctx: Ctx, room: RoomRecord, body: ServerMessage, alsoTo: string[] = []): string[] {
  if (room.kind === 'public') {
    outcome.events.push({ routingKey: ctx.topology.roomRoutingKey(room.name), body });
    return [];
  }
  const reached: string[] = [];
  const keys = new Set([...ctx.store.members(room.name).map((member) => member.nameKey), ...alsoTo.map(nameKey)]);
  for (const key of keys) {
    const session = ctx.registry.find(key);
    if (!session || !hasClientQueue(session, ctx.topology)) continue;
    outcome.replies.push({ queue: session.replyQueue, body });
    reached.push(key);
  }
  return reached;
}

/**
 * Only warren clients have a queue to deliver to (a legacy client's session has none): what is
 * meant for the others stays undelivered and reaches that name when it next logs in with a warren client.
 */
export function hasClientQueue(session: Session, topology: Topology): boolean {
  return session.replyQueue.startsWith(topology.clientQueuePrefix);
}

/** A room as one user sees it. `general` has every user as a member and no admin. */
export function roomInfo(ctx: Ctx, room: RoomRecord, key: string): RoomInfo {
  const isGeneral = room.name === DEFAULT_ROOM;
  const members = isGeneral ? [] : ctx.store.members(room.name);
  const mine = members.find((member) => member.nameKey === key);
  return {
    name: room.name,
    kind: room.kind,
    role: isGeneral ? 'member' : (mine?.role ?? null),
    members: isGeneral ? ctx.registry.size : members.length,
    online: isGeneral ? ctx.registry.size : members.filter((member) => ctx.registry.find(member.nameKey)).length,
    lastSeq: room.lastSeq,
    ...(room.kind === 'public' ? { routingKey: ctx.topology.roomRoutingKey(room.name) } : {}),
    ttlMs: room.ttlMs,
  };
}

/** The rooms a user belongs to (general first), private chats excluded. */
export function roomsOfUser(ctx: Ctx, key: string): RoomInfo[] {
  const general = ctx.store.room(DEFAULT_ROOM);
  const own = ctx.store
    .roomsOf(key)
    .map((member) => ctx.store.room(member.room))
    .filter((room): room is RoomRecord => room !== undefined && room.kind !== 'direct' && room.name !== DEFAULT_ROOM);
  return [...(general ? [general] : []), ...own].map((room) => roomInfo(ctx, room, key));
}
