import { DEFAULT_ROOM, ERROR_CODES, LIMITS, PRESENCE_ROUTING_KEY, WarrenError, type CommandRequest } from '../../shared/index.js';
import { emptyOutcome, presence, type Outcome } from '../outcome.js';
import type { Session } from '../registry.js';
import type { HandlerContext } from './context.js';

type RequestOf<T extends CommandRequest['type']> = Extract<CommandRequest, { type: T }>;

/** Requests on the command queue. Each answers on the requester's own queue. */
export function handleCommand(request: CommandRequest, ctx: HandlerContext): Outcome {
  switch (request.type) {
    case 'login':
      return login(request, ctx);
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
  }
}

function withSession(ctx: HandlerContext, token: string): Session {
  const session = ctx.registry.authenticate(token);
  ctx.registry.touch(session, ctx.now);
  return session;
}

function answer(ctx: HandlerContext, session: Session, build: () => Outcome['replies'][number]['body']): Outcome {
  const outcome = emptyOutcome();
  outcome.replies.push({ queue: ctx.replyTo ?? session.replyQueue, body: build() });
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
  const { session, resumed } = ctx.registry.login(request.name, request.clientId, replyTo, ctx.now);
  const serverTs = ctx.now.toISOString();
  const outcome = emptyOutcome();
  if (!resumed) {
    outcome.log.push({ kind: 'JOIN', serverTs, name: session.name });
    outcome.events.push({
      routingKey: PRESENCE_ROUTING_KEY,
      body: presence('joined', session.name, serverTs, ctx.registry.size),
    });
  }
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
      lastSeq: ctx.store.lastSeq(DEFAULT_ROOM),
      history: ctx.store.history(DEFAULT_ROOM, { limit: ctx.limits.historyOnJoin }),
      users: ctx.registry.online(),
    },
  });
  return outcome;
}

function myMessages(request: RequestOf<'mymsgs'>, ctx: HandlerContext): Outcome {
  const session = withSession(ctx, request.token);
  return answer(ctx, session, () => ({
    type: 'mymsgs.list',
    requestId: request.requestId,
    messages: ctx.store.messagesOfSession(session.sessionId, request.limit ?? LIMITS.maxHistoryPage),
  }));
}

function history(request: RequestOf<'history'>, ctx: HandlerContext): Outcome {
  const session = withSession(ctx, request.token);
  if (request.room !== DEFAULT_ROOM) {
    throw new WarrenError(ERROR_CODES.UNKNOWN_ROOM, `no room named "${request.room}"`);
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
  outcome.replies.push({ queue: ctx.replyTo ?? session.replyQueue, body: { type: 'logout.ok', requestId: request.requestId } });
  return outcome;
}

/** Frees the name and tells everyone; shared by /exit and the heartbeat timeout. */
export function departure(session: Session, reason: 'exit' | 'timeout', ctx: Pick<HandlerContext, 'registry' | 'now'>): Outcome {
  ctx.registry.remove(session);
  const serverTs = ctx.now.toISOString();
  const outcome = emptyOutcome();
  outcome.log.push({ kind: 'LEAVE', serverTs, name: session.name, reason });
  outcome.events.push({
    routingKey: PRESENCE_ROUTING_KEY,
    body: presence('left', session.name, serverTs, ctx.registry.size, reason),
  });
  return outcome;
}
