import {
  DEFAULT_ROOM,
  ERROR_CODES,
  LIMITS,
  PRESENCE_ROUTING_KEY,
  WarrenError,
  decodeChat,
  isWarrenError,
  nameKey,
  type ChatSend,
  type ErrorCode,
} from '../../shared/index.js';
import { announceActivation } from '../handlers/activation-announcement.js';
import { handleChat } from '../handlers/chat-handler.js';
import { departure } from '../handlers/departure.js';
import { forgetGuestName } from '../handlers/guest-forgetting.js';
import type { HandlerContext } from '../handlers/context.js';
import { refusal } from '../handlers/refusal.js';
import { emptyOutcome, presence, type Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import { LEGACY, decodeLegacy, isoFromEpochSeconds, sentMessageEntry, type LegacyReply, type LegacyRequest } from './protocol.js';
import { isLegacySession, legacyReplyQueue, sessionOfClient } from './sessions.js';

export interface LegacyResult {
  /** The warren side: log lines, events for warren clients, the dead-letter verdict. */
  outcome: Outcome;
  /**
   * The answer on `user_channel`. A login reply may have to wait for the client's queue: those
   * clients bind it in one thread while another already sends the login.
   */
  reply?: { clientUuid: string; body: LegacyReply; waitForQueue: boolean };
}

type About = { requestId?: string; clientUuid?: string; username?: string };

/**
 * One request from `server_pending_messages`. Chat goes through warren's own chat handler (same
 * checks, same store, same log line, same fan-out); the rest maps onto the registry and store.
 * Throws only on a fault of ours; bad input becomes a refusal.
 */
export function handleLegacyInput(body: Buffer, ctx: HandlerContext): LegacyResult {
  const decoded = decodeLegacy(body);
  if (!decoded.ok) return refused(ctx, decoded.code, decoded.message, decoded);
  const request = decoded.value;
  try {
    return handleRequest(request, ctx);
  } catch (err) {
    if (!isWarrenError(err)) throw err;
    return refused(ctx, err.code, err.message, about(request));
  }
}

function handleRequest(request: LegacyRequest, ctx: HandlerContext): LegacyResult {
  switch (request.type) {
    case 'login':
      return login(request, ctx);
    case 'message': {
      const session = sessionFor(request, ctx);
      const send: ChatSend = {
        type: 'chat',
        id: request.id,
        token: session.token,
        from: session.name,
        room: DEFAULT_ROOM,
        text: request.message,
        clientTs: isoFromEpochSeconds(request.timestamp),
      };
      // Through warren's own decoder, so legacy text obeys exactly the same rules (empty, too long).
      const checked = decodeChat(Buffer.from(JSON.stringify(send)));
      if (!checked.ok) throw new WarrenError(checked.code, checked.message);
      return { outcome: handleChat(checked.value, ctx) };
    }
    case 'users_list': {
      sessionFor(request, ctx);
      const names = ctx.registry.online().map((user) => user.name);
      return answer(request, { type: 'users_list', response: names });
    }
    case 'user_messages_list': {
      const session = sessionFor(request, ctx);
      const sent = ctx.store
        .messagesOfSession(session.sessionId, LIMITS.maxHistoryPage)
        .filter((event) => event.room === DEFAULT_ROOM && event.to === undefined)
        .map((event) => sentMessageEntry(event, session.clientId));
      return answer(request, { type: 'user_messages', response: sent });
    }
    case 'disconnect': {
      const session = findSession(request, ctx);
      // Already gone (a repeated disconnect, or one after the name was freed): nothing to do.
      return { outcome: session ? departure(session, 'exit', ctx) : emptyOutcome() };
    }
  }
}

function login(request: Extract<LegacyRequest, { type: 'login' }>, ctx: HandlerContext): LegacyResult {
  const nope = (code: ErrorCode, reason: string): LegacyResult =>
    refused(ctx, code, reason, about(request), { type: 'login', response: 'nope' });
  const current = sessionOfClient(ctx.registry, request.client_uuid);
  if (current && current.nameKey !== nameKey(request.username)) {
    return nope(ERROR_CODES.ALREADY_LOGGED_IN, `this client is already logged in as "${current.name}"`);
  }
  // Only the legacy client that holds a name may claim it again (a repeated login); a warren
  // session is never handed to a legacy client.
  const holder = ctx.registry.find(nameKey(request.username));
  if (holder && (!isLegacySession(holder) || holder.clientId !== request.client_uuid)) {
    return nope(ERROR_CODES.NAME_TAKEN, `the name "${holder.name}" is taken`);
  }
  // The Actividad 2 protocol has no password: a registered name is not for legacy clients.
  if (ctx.accounts.exists(request.username)) {
    return nope(ERROR_CODES.PASSWORD_REQUIRED, `"${request.username}" is a registered name; log in with a warren client and its password`);
  }
  let claimed;
  try {
    claimed = ctx.registry.login(request.username, request.client_uuid, legacyReplyQueue(request.client_uuid), ctx.now);
  } catch (err) {
    if (!isWarrenError(err)) throw err;
    return nope(err.code, err.message);
  }
  const { session, resumed } = claimed;
  const outcome = emptyOutcome();
  const serverTs = ctx.now.toISOString();
  // A legacy name is a guest name: it starts from nothing, like a warren guest (guest-forgetting.ts).
  if (!resumed) forgetGuestName(session.name, session.nameKey, ctx, outcome);
  if (!resumed) {
    outcome.log.push({ kind: 'JOIN', serverTs, name: session.name });
    outcome.events.push({ routingKey: PRESENCE_ROUTING_KEY, body: presence('joined', session.name, serverTs, ctx.registry.size) });
  }
  if (ctx.activation.observe(ctx.registry.size)) announceActivation(outcome, ctx);
  return { outcome, reply: { clientUuid: request.client_uuid, body: { type: 'login', response: 'ok' }, waitForQueue: true } };
}

/** The session of the client that sent this request, if any; the name it claims must be the one it holds. */
function findSession(request: LegacyRequest, ctx: HandlerContext): Session | undefined {
  const session = ctx.registry.find(nameKey(request.username));
  if (session && isLegacySession(session) && session.clientId === request.client_uuid) return session;
  const own = sessionOfClient(ctx.registry, request.client_uuid);
  if (own) {
    throw new WarrenError(ERROR_CODES.FORGED_SENDER, `request claims to be from "${request.username}" but this client is logged in as "${own.name}"`);
  }
  return undefined;
}

function sessionFor(request: LegacyRequest, ctx: HandlerContext): Session {
  const session = findSession(request, ctx);
  if (!session) throw new WarrenError(ERROR_CODES.SESSION_UNKNOWN, 'this client is not logged in (or its name was freed); log in again');
  return session;
}

function answer(request: LegacyRequest, body: LegacyReply): LegacyResult {
  return { outcome: emptyOutcome(), reply: { clientUuid: request.client_uuid, body, waitForQueue: false } };
}

function about(request: LegacyRequest): About {
  return { requestId: request.id, clientUuid: request.client_uuid, username: request.username };
}

/** A REJECTED log line (and the dead-letter copy when the input was broken), and an answer if the client can be reached. */
function refused(ctx: HandlerContext, code: ErrorCode, reason: string, who: About, reply?: LegacyReply): LegacyResult {
  const outcome = refusal({
    queue: LEGACY.requestQueue,
    code,
    reason,
    serverTs: ctx.now.toISOString(),
    replyTo: undefined,
    requestId: who.requestId,
    from: who.username,
  });
  if (who.clientUuid === undefined) return { outcome };
  return {
    outcome,
    reply: { clientUuid: who.clientUuid, body: reply ?? { type: 'error', response: `${code}: ${reason}` }, waitForQueue: reply?.type === 'login' },
  };
}
