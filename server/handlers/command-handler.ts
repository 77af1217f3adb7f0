import { DEFAULT_ROOM, ERROR_CODES, LIMITS, PRESENCE_ROUTING_KEY, WarrenError, checkRoomName, isDirectRoom, type CommandRequest } from '../../shared/index.js';
import { emptyOutcome, presence, type Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import { accountNameFor, register } from './account-handler.js';
import { announceActivation } from './activation-announcement.js';
import { roomsOfUser } from './room-delivery.js';
import type { HandlerContext } from './context.js';
import { departure } from './departure.js';
import { forgetGuestName } from './guest-forgetting.js';
import { deleteMessage, editMessage } from './edit-delete-handler.js';
import { createRoom, joinRoom, leaveRoom, listRooms, memberAction, setRoomTtl, whois } from './room-handler.js';

type RequestOf<T extends CommandRequest['type']> = Extract<CommandRequest, { type: T }>;

/** Requests on the command queue. Each answers on the requester's own queue. */
export function handleCommand(request: CommandRequest, ctx: HandlerContext): Outcome {
  switch (request.type) {
    case 'login':
      return login(request, ctx);
    case 'register':
      return register(request, withSession(ctx, request.token), ctx);
    case 'users':
      return answer(ctx, withSession(ctx, request.token), () => ({
        type: 'users.list',
        requestId: request.requestId,
        users: ctx.registry.online(),
      }));
    case 'mymsgs':
      return myMessages(request, ctx);
    case 'history':
      return history(request, ctx);
    case 'logout':
      return logout(request, ctx);
    case 'heartbeat': {
      const session = withSession(ctx, request.token);
      const outcome = emptyOutcome();
      if (request.requestId !== undefined) {
        outcome.replies.push({ queue: session.replyQueue, body: { type: 'heartbeat.ok', requestId: request.requestId } });
      }
      return outcome;
    }
    case 'create_room':
      return createRoom(request, withSession(ctx, request.token), ctx);
    case 'join_room':
      return joinRoom(request, withSession(ctx, request.token), ctx);
    case 'leave_room':
      return leaveRoom(request, withSession(ctx, request.token), ctx);
    case 'rooms':
      return listRooms(request, withSession(ctx, request.token), ctx);
    case 'invite':
    case 'kick':
    case 'promote':
      return memberAction(request, withSession(ctx, request.token), ctx);
    case 'whois':
      return whois(request, withSession(ctx, request.token), ctx);
    case 'edit':
      return editMessage(request, withSession(ctx, request.token), ctx);
    case 'delete':
      return deleteMessage(request, withSession(ctx, request.token), ctx);
    case 'room_ttl':
      return setRoomTtl(request, withSession(ctx, request.token), ctx);
  }
}

function withSession(ctx: HandlerContext, token: string): Session {
  const session = ctx.registry.authenticate(token);
  ctx.registry.touch(session, ctx.now);
  return session;
}

/** Answers on the session's own queue, never on a replyTo the request names: a token must not redirect replies to another client. */
function answer(_ctx: HandlerContext, session: Session, build: () => Outcome['replies'][number]['body']): Outcome {
  const outcome = emptyOutcome();
  outcome.replies.push({ queue: session.replyQueue, body: build() });
  return outcome;
}

function login(request: RequestOf<'login'>, ctx: HandlerContext): Outcome {
  const replyTo = ctx.replyTo;
  if (replyTo === undefined) {
    throw new WarrenError(
      ERROR_CODES.INVALID_MESSAGE,
      `login needs a replyTo property naming the client's queue (${ctx.topology.clientQueuePrefix}<clientId>)`,
    );
  }
  if (replyTo !== ctx.topology.clientQueue(request.clientId)) {
    throw new WarrenError(ERROR_CODES.INVALID_MESSAGE, `replyTo must be ${ctx.topology.clientQueue(request.clientId)}`);
  }
  const accountName = accountNameFor(request, ctx);
  const { session, resumed } = ctx.registry.login(accountName ?? request.name, request.clientId, replyTo, ctx.now, request.protocol);
  const serverTs = ctx.now.toISOString();
  const outcome = emptyOutcome();
  // A new guest starts from nothing, even what was sent to the name while nobody held it.
  if (!resumed && accountName === undefined) forgetGuestName(session.name, session.nameKey, ctx, outcome);
  if (!resumed) {
    outcome.log.push({ kind: 'JOIN', serverTs, name: session.name });
    outcome.events.push({
      routingKey: PRESENCE_ROUTING_KEY,
      body: presence('joined', session.name, serverTs, ctx.registry.size),
    });
  }
  const activatedNow = ctx.activation.observe(ctx.registry.size);
  // The login that reaches MIN_USERS is answered as if still waiting and told of the activation
  // right after, so its client, like every client that waited, fetches each room's whole backlog.
  const active = ctx.activation.active && !activatedNow;
  const privateBacklog = active ? ctx.store.undeliveredPrivate(session.nameKey) : [];
  for (const event of privateBacklog) ctx.store.markDelivered(event.room, session.nameKey, event.seq);
  outcome.replies.push({
    queue: replyTo,
    body: {
      type: 'login.ok',
      requestId: request.requestId,
      name: session.name,
      token: session.token,
      serverTs,
      heartbeatIntervalMs: ctx.limits.heartbeatIntervalMs,
      sessionTimeoutMs: ctx.limits.sessionTimeoutMs,
      room: DEFAULT_ROOM,
      // Before activation nothing has been shown to anyone: the whole backlog comes after seq 0.
      lastSeq: active ? ctx.store.lastSeq(DEFAULT_ROOM) : 0,
      history: active ? ctx.store.history(DEFAULT_ROOM, { limit: ctx.limits.historyOnJoin }) : [],
      users: ctx.registry.online(),
      rooms: roomsOfUser(ctx, session.nameKey).map((room) => (active ? room : { ...room, lastSeq: 0 })),
      privateBacklog,
      active,
      minUsers: ctx.activation.minUsers,
    },
  });
  if (activatedNow) announceActivation(outcome, ctx, replyTo);
  return outcome;
}

function myMessages(request: RequestOf<'mymsgs'>, ctx: HandlerContext): Outcome {
  const session = withSession(ctx, request.token);
  return answer(ctx, session, () => ({
    type: 'mymsgs.list',
    requestId: request.requestId,
    // An account's messages are its name's, across sessions; a guest's are this session's only.
    messages: ctx.accounts.exists(session.name)
      ? ctx.store.messagesOfSender(session.nameKey, request.limit ?? LIMITS.maxHistoryPage)
      : ctx.store.messagesOfSession(session.sessionId, request.limit ?? LIMITS.maxHistoryPage),
  }));
}

function history(request: RequestOf<'history'>, ctx: HandlerContext): Outcome {
  const session = withSession(ctx, request.token);
  const known = isDirectRoom(request.room) || checkRoomName(request.room).ok ? ctx.store.room(request.room) : undefined;
  const member = request.room === DEFAULT_ROOM || ctx.store.member(request.room, session.nameKey) !== undefined;
  if (!known || !member) {
    throw new WarrenError(ERROR_CODES.UNKNOWN_ROOM, `no room named "${request.room}" that you are in`);
  }
  if (!ctx.activation.active) {
    return answer(ctx, session, () => ({ type: 'history.list', requestId: request.requestId, room: request.room, lastSeq: 0, messages: [] }));
  }
  const query =
    request.afterSeq === undefined
      ? { limit: request.limit ?? ctx.limits.historyOnJoin }
      : { afterSeq: request.afterSeq, limit: request.limit ?? LIMITS.maxHistoryPage };
  return answer(ctx, session, () => ({
    type: 'history.list',
    requestId: request.requestId,
    room: request.room,
    lastSeq: ctx.store.lastSeq(request.room),
    messages: ctx.store.history(request.room, query),
  }));
}

function logout(request: RequestOf<'logout'>, ctx: HandlerContext): Outcome {
  const session = ctx.registry.authenticate(request.token);
  const outcome = departure(session, 'exit', ctx);
  outcome.replies.push({ queue: session.replyQueue, body: { type: 'logout.ok', requestId: request.requestId } });
  return outcome;
}
