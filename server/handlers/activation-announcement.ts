import { PRESENCE_ROUTING_KEY } from '../../shared/index.js';
import type { Outcome } from '../outcome.js';
import type { HandlerContext } from './context.js';
import { hasClientQueue } from './room-delivery.js';

/**
 * The threshold was just reached: tell everyone (clients then fetch each room's backlog in order)
 * and hand the private messages held so far to their online recipients that have a warren queue.
 * `newcomerQueue`: the client whose login reached the threshold gets its own copy after its
 * login.ok, since the exchange's copy may overtake that reply.
 */
export function announceActivation(outcome: Outcome, ctx: Pick<HandlerContext, 'registry' | 'store' | 'topology' | 'now'>, newcomerQueue?: string): void {
  const serverTs = ctx.now.toISOString();
  const activated = { type: 'activated' as const, serverTs, online: ctx.registry.size };
  outcome.log.push({ kind: 'ACTIVATED', serverTs, online: ctx.registry.size });
  outcome.events.push({ routingKey: PRESENCE_ROUTING_KEY, body: activated });
  if (newcomerQueue !== undefined) outcome.replies.push({ queue: newcomerQueue, body: activated });
  for (const session of ctx.registry.sessions()) {
    if (!hasClientQueue(session, ctx.topology)) continue;
    for (const event of ctx.store.undeliveredPrivate(session.nameKey)) {
      outcome.replies.push({ queue: session.replyQueue, body: event });
      ctx.store.markDelivered(event.room, session.nameKey, event.seq);
    }
  }
}
