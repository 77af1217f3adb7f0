import { PRESENCE_ROUTING_KEY } from '../../shared/index.js';
import { emptyOutcome, presence, type Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import type { HandlerContext } from './context.js';

/** Frees the name and tells everyone; shared by /exit and the heartbeat timeout. */
export function departure(session: Session, reason: 'exit' | 'timeout', ctx: Pick<HandlerContext, 'registry' | 'now'>): Outcome {
  ctx.registry.remove(session);
  const serverTs = ctx.now.toISOString();
  const outcome = emptyOutcome();
  outcome.ended = [session.clientId];
  outcome.log.push({ kind: 'LEAVE', serverTs, name: session.name, reason });
  outcome.events.push({
    routingKey: PRESENCE_ROUTING_KEY,
    body: presence('left', session.name, serverTs, ctx.registry.size, reason),
  });
  return outcome;
}
