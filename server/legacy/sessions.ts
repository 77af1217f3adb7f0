import type { Registry, Session } from '../state/registry.js';

/**
 * Legacy users hold ordinary sessions in warren's registry, so names are unique across both kinds
 * of client and each appears in the other's user list. What marks a session as legacy is its reply
 * queue: a name under `amq.`, which no client may declare (403 ACCESS_REFUSED), so warren traffic
 * addressed to it (private messages, held-message notices) reaches no one, and a restarted
 * coordinator still recognises the legacy sessions it restores from the store.
 */
const REPLY_QUEUE_PREFIX = 'amq.warren-legacy.';

export function legacyReplyQueue(clientUuid: string): string {
  return `${REPLY_QUEUE_PREFIX}${clientUuid}`;
}

export function isLegacyQueue(queue: string): boolean {
  return queue.startsWith(REPLY_QUEUE_PREFIX);
}

export function isLegacySession(session: Pick<Session, 'replyQueue'>): boolean {
  return isLegacyQueue(session.replyQueue);
}

export function legacySessions(registry: Registry): Session[] {
  return registry.sessions().filter(isLegacySession);
}

/** The legacy session this client uuid holds, whatever its name. */
export function sessionOfClient(registry: Registry, clientUuid: string): Session | undefined {
  return legacySessions(registry).find((session) => session.clientId === clientUuid);
}
