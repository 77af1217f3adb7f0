import type { Outcome } from '../outcome.js';
import type { HandlerContext } from './context.js';

/**
 * A guest name passes on nothing (store/guest-forget.ts does the forgetting). Called in the same
 * transaction as the session's removal, and again when a new guest claims a free name (so a /msg
 * or /invite sent to the name while nobody held it does not pass on either). Registered names are
 * never forgotten: that is what an account keeps.
 *
 * The other person of each archived private chat is told its new name (a `room.event` `archived`
 * on their own queue), so their client moves the conversation instead of merging it with a new
 * holder's.
 */
export function forgetGuestName(
  name: string,
  key: string,
  ctx: Pick<HandlerContext, 'store' | 'accounts' | 'registry' | 'now'>,
  outcome: Outcome,
): void {
  if (ctx.accounts.exists(name)) return;
  const forgotten = ctx.store.forgetGuest(key);
  const serverTs = ctx.now.toISOString();
  for (const archived of forgotten.archivedDirect) {
    for (const otherKey of archived.keptFor) {
      const other = ctx.registry.find(otherKey);
      if (!other) continue; // told at their next login: the chat comes with its new name in login.ok
      outcome.replies.push({
        queue: other.replyQueue,
        body: { type: 'room.event', room: archived.from, event: 'archived', name, renamedTo: archived.to, serverTs },
      });
    }
  }
}
