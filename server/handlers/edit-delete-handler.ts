import { DEFAULT_ROOM, ERROR_CODES, LIMITS, WarrenError, type CommandRequest } from '../../shared/index.js';
import { emptyOutcome, type Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import { deliverToRoom } from './room-delivery.js';
import type { StoredMessage } from '../store/store.js';
import type { HandlerContext } from './context.js';

type RequestOf<T extends CommandRequest['type']> = Extract<CommandRequest, { type: T }>;

/** /edit: own messages only. Everyone in the room online sees the new text now; history has it later. */
export function editMessage(request: RequestOf<'edit'>, session: Session, ctx: HandlerContext): Outcome {
  const message = visibleMessage(request.num, session, ctx);
  if (message.senderKey !== session.nameKey) {
    throw new WarrenError(ERROR_CODES.NOT_YOUR_MESSAGE, `message ${request.num} is ${message.from}'s; you can edit only your own`);
  }
  if (request.text.trim().length === 0) throw new WarrenError(ERROR_CODES.TEXT_EMPTY, 'the new text is empty; use /delete to remove a message');
  const length = [...request.text].length;
  if (length > LIMITS.maxTextLength) {
    throw new WarrenError(ERROR_CODES.TEXT_TOO_LONG, `the new text is ${length} characters; the limit is ${LIMITS.maxTextLength}`);
  }
  const editedAt = ctx.now.toISOString();
  ctx.store.editMessage(message.num, request.text, editedAt);
  const outcome = emptyOutcome();
  outcome.log.push({
    kind: 'EDIT',
    serverTs: editedAt,
    room: message.room,
    num: message.num,
    by: session.name,
    text: request.text,
    ...(request.clientTs === undefined ? {} : { clientTs: request.clientTs }),
  });
  const room = ctx.store.room(message.room);
  if (room) {
    deliverToRoom(outcome, ctx, room, { type: 'message.updated', room: message.room, num: message.num, seq: message.seq, text: request.text, editedAt });
  }
  outcome.replies.push({ queue: session.replyQueue, body: { type: 'done', requestId: request.requestId, message: `Message ${message.num} edited.` } });
  return outcome;
}

/** /delete: own messages, or any message in a room I administer. */
export function deleteMessage(request: RequestOf<'delete'>, session: Session, ctx: HandlerContext): Outcome {
  const message = visibleMessage(request.num, session, ctx);
  const mine = message.senderKey === session.nameKey;
  const admin = ctx.store.member(message.room, session.nameKey)?.role === 'admin';
  if (!mine && !admin) {
    throw new WarrenError(
      ERROR_CODES.NOT_YOUR_MESSAGE,
      `message ${request.num} is ${message.from}'s; you can delete your own, or any in a room you administer`,
    );
  }
  ctx.store.removeMessage(message.num);
  const serverTs = ctx.now.toISOString();
  const outcome = emptyOutcome();
  outcome.log.push({
    kind: 'DELETE',
    serverTs,
    room: message.room,
    num: message.num,
    by: session.name,
    ...(request.clientTs === undefined ? {} : { clientTs: request.clientTs }),
  });
  const room = ctx.store.room(message.room);
  if (room) {
    deliverToRoom(outcome, ctx, room, { type: 'message.removed', room: message.room, num: message.num, seq: message.seq, reason: 'deleted', by: session.name, serverTs });
  }
  outcome.replies.push({ queue: session.replyQueue, body: { type: 'done', requestId: request.requestId, message: `Message ${message.num} deleted.` } });
  return outcome;
}

/** Messages of rooms I am not in are "unknown", so ids reveal nothing about rooms I cannot see. */
function visibleMessage(num: number, session: Session, ctx: HandlerContext): StoredMessage {
  const message = ctx.store.message(num);
  const visible = message !== undefined && (message.room === DEFAULT_ROOM || ctx.store.member(message.room, session.nameKey) !== undefined);
  if (!message || !visible) throw new WarrenError(ERROR_CODES.UNKNOWN_MESSAGE, `no message ${num} that you can see`);
  return message;
}
