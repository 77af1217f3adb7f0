import { PRESENCE_ROUTING_KEY } from '../../shared/index.js';
import { emptyOutcome, presence, type Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import type { HandlerContext } from './context.js';
import { forgetGuestName } from './guest-forgetting.js';

/**
 * Frees the name and tells everyone; shared by /exit and the heartbeat timeout. A guest name's
 * rooms, roles, private chats and stored messages are forgotten in the same transaction as the
 * session's removal, so a crash cannot leave one without the other. A session already ended
 * (by another coordinator) gives an empty outcome.
 */
export function departure(
  session: Session,
  reason: 'exit' | 'timeout',
  ctx: Pick<HandlerContext, 'registry' | 'now' | 'store' | 'accounts'>,
): Outcome {
  const outcome = emptyOutcome();
  // Of several coordinators ending one session (two sweeps, a sweep and an /exit), one does it:
  // the others find it gone and say nothing.
  const removed = ctx.store.batch(() => {
    if (!ctx.registry.remove(session)) return false;
    forgetGuestName(session.name, session.nameKey, ctx, outcome);
    return true;
  });
  if (!removed) return outcome;
  outcome.ended = [session.clientId];
  const serverTs = ctx.now.toISOString();
  outcome.log.push({ kind: 'LEAVE', serverTs, name: session.name, reason });
  outcome.events.push({
    routingKey: PRESENCE_ROUTING_KEY,
    body: presence('left', session.name, serverTs, ctx.registry.size, reason),
  });
  return outcome;
}
