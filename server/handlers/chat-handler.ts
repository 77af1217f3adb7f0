import { randomUUID } from 'node:crypto';
import {
  DEFAULT_ROOM,
  ERROR_CODES,
  WarrenError,
  checkUserName,
  directRoomName,
  isDirectRoom,
  nameKey,
  type ChatEvent,
  type ChatSend,
} from '../../shared/index.js';
import { messageLogEntry } from '../log/chat-log.js';
import { emptyOutcome, type Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import { deliverToRoom } from './room-delivery.js';
import type { RoomRecord } from '../store/store.js';
import type { HandlerContext } from './context.js';

/**
 * A chat line from a client: authenticate, check the claimed sender and the room, store (which
 * assigns the room's sequence number), then log and fan out. A redelivered message is recognised
 * by its client id and fanned out again (clients drop the repeat by sequence) but never stored or
 * logged twice. Until the chat is active (MIN_USERS), messages are stored and logged but held.
 */
export function handleChat(message: ChatSend, ctx: HandlerContext): Outcome {
  const session = ctx.registry.authenticate(message.token);
  if (session.name !== message.from) {
    throw new WarrenError(
      ERROR_CODES.FORGED_SENDER,
      `message claims to be from "${message.from}" but the session belongs to "${session.name}"`,
    );
  }
  ctx.registry.touch(session, ctx.now);
  const target = message.to === undefined ? roomFor(message.room, session, ctx) : privateRoomFor(message.to, session, ctx);
  const ttlMs = message.ttlMs ?? target.room.ttlMs ?? undefined;
  const serverTs = ctx.now.toISOString();
  const { event, logged, duplicate } = ctx.store.appendMessage({
    id: randomUUID(),
    sessionId: session.sessionId,
    senderKey: session.nameKey,
    clientMsgId: message.id,
    room: target.room.name,
    from: session.name,
    text: message.text,
    clientTs: message.clientTs,
    serverTs,
    ...(target.to === undefined ? {} : { to: target.to }),
    ...(ttlMs === undefined ? {} : { expiresAt: new Date(ctx.now.getTime() + ttlMs).toISOString() }),
  });
  const outcome = emptyOutcome();
  if (!logged) {
    // A redelivery of a stored message: its line may be in the log of the coordinator that stored it.
    if (!(duplicate && ctx.loggedElsewhere?.(event.id))) outcome.log.push(messageLogEntry(event));
    outcome.afterLog = () => ctx.store.markLogged(event.num);
  }
  if (!duplicate && event.expiresAt !== undefined) ctx.expiry.schedule(event.num, event.expiresAt);
  if (!ctx.activation.active) {
    outcome.replies.push({ queue: session.replyQueue, body: { type: 'chat.held', requestId: message.id, room: event.room, seq: event.seq } });
    return outcome;
  }
  fanOut(outcome, ctx, target.room, event, session);
  return outcome;
}

function fanOut(outcome: Outcome, ctx: HandlerContext, room: RoomRecord, event: ChatEvent, sender: Session): void {
  if (event.to === undefined) {
    deliverToRoom(outcome, ctx, room, event);
    return;
  }
  const recipientKey = nameKey(event.to);
  const reached = deliverToRoom(outcome, ctx, room, event, [sender.name, event.to]);
  const delivered = reached.includes(recipientKey);
  if (delivered) ctx.store.markDelivered(room.name, recipientKey, event.seq);
  outcome.replies.push({
    queue: sender.replyQueue,
    body: { type: 'private.status', requestId: event.clientMsgId, to: event.to, delivered },
  });
}

function roomFor(name: string, session: Session, ctx: HandlerContext): { room: RoomRecord; to?: undefined } {
  const room = isDirectRoom(name) ? undefined : ctx.store.room(name);
  const member = name === DEFAULT_ROOM || ctx.store.member(name, session.nameKey) !== undefined;
  // A secret room is unknown to whoever is not in it: the same answer as for no room at all.
  if (!room || (room.kind === 'secret' && !member)) throw new WarrenError(ERROR_CODES.UNKNOWN_ROOM, `no room named "${name}"`);
  if (!member) {
    throw new WarrenError(ERROR_CODES.NOT_A_MEMBER, `you are not in #${name}; /join it first`);
  }
  return { room };
}

/** Private messages live in a room of their own, `dm:a:b`, created on the first message. */
function privateRoomFor(rawTo: string, session: Session, ctx: HandlerContext): { room: RoomRecord; to: string } {
  const check = checkUserName(rawTo);
  if (!check.ok) throw new WarrenError(ERROR_CODES.NAME_INVALID, `cannot send to "${rawTo}": ${check.reason}`);
  const online = ctx.registry.find(nameKey(check.name));
  const to = online?.name ?? check.name;
  const name = directRoomName(session.name, to);
  if (!ctx.store.room(name)) {
    ctx.store.createRoom({ name, kind: 'direct', createdBy: session.name, createdAt: ctx.now.toISOString(), ttlMs: null });
  }
  for (const person of [session.name, to]) {
    if (!ctx.store.member(name, nameKey(person))) ctx.store.addMember({ room: name, nameKey: nameKey(person), name: person, role: 'member' });
  }
  const room = ctx.store.room(name);
  if (!room) throw new Error(`private room ${name} missing after creation`);
  return { room, to };
}
