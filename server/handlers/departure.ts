import { PRESENCE_ROUTING_KEY } from '../../shared/index.js';
import { emptyOutcome, presence, type Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import type { HandlerContext } from './context.js';
import { forgetGuestName } from './guest-forgetting.js';

/**
 * Frees the name and tells everyone; shared by /exit and the heartbeat timeout. A guest name's
 * rooms, roles, private chats and stored messages are forgotten in the same transaction as the
 * session's removal, so a crash cannot leave one without the other.
 */
export function departure(
  session: Session,
  reason: 'exit' | 'timeout',
  ctx: Pick<HandlerContext, 'registry' | 'now' | 'store' | 'accounts'>,
): Outcome {
  const outcome = emptyOutcome();
  outcome.ended = [session.clientId];
  ctx.store.batch(() => {
    ctx.registry.remove(session);
    forgetGuestName(session.name, session.nameKey, ctx, outcome);
  });
  const serverTs = ctx.now.toISOString();
  outcome.log.push({ kind: 'LEAVE', serverTs, name: session.name, reason });
  outcome.events.push({
    routingKey: PRESENCE_ROUTING_KEY,
    body: presence('left', session.name, serverTs, ctx.registry.size, reason),
  });
  return outcome;
}
