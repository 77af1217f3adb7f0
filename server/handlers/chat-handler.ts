import { randomUUID } from 'node:crypto';
import { DEFAULT_ROOM, ERROR_CODES, WarrenError, type ChatSend } from '../../shared/index.js';
import { emptyOutcome, type Outcome } from '../outcome.js';
import type { HandlerContext } from './context.js';

/**
 * A chat line from a client: authenticate, check the claimed sender, store (which assigns the
 * room's sequence number), then log and fan out. A redelivered message is recognised by its
 * client id and fanned out again (clients drop the repeat by sequence) but never stored or logged twice.
 */
export function handleChat(message: ChatSend, ctx: HandlerContext): Outcome {
  const session = ctx.registry.authenticate(message.token);
  if (session.name !== message.from) {
    throw new WarrenError(
      ERROR_CODES.FORGED_SENDER,
      `message claims to be from "${message.from}" but the session belongs to "${session.name}"`,
    );
  }
  if (message.room !== DEFAULT_ROOM) {
    throw new WarrenError(ERROR_CODES.UNKNOWN_ROOM, `no room named "${message.room}"`);
  }
  ctx.registry.touch(session, ctx.now);
  const { event, logged } = ctx.store.appendMessage({
    id: randomUUID(),
    sessionId: session.sessionId,
    clientMsgId: message.id,
    room: message.room,
    from: session.name,
    text: message.text,
    clientTs: message.clientTs,
    serverTs: ctx.now.toISOString(),
  });
  const outcome = emptyOutcome();
  if (!logged) {
    outcome.log.push({
      kind: 'MESSAGE',
      serverTs: event.serverTs,
      clientTs: event.clientTs,
      room: event.room,
      seq: event.seq,
      id: event.id,
      from: event.from,
      text: event.text,
    });
    outcome.afterLog = () => ctx.store.markLogged(event.id);
  }
  outcome.events.push({ routingKey: ctx.topology.roomRoutingKey(event.room), body: event });
  return outcome;
}
