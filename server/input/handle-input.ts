import type { ConsumeMessage } from 'amqplib';
import { ERROR_CODES, decodeChat, decodeCommand, isWarrenError, type ChatSend, type CommandRequest, type InputKind, type Topology } from '../../shared/index.js';
import type { Admitted } from '../accounts/admission.js';
import { handleChat } from '../handlers/chat-handler.js';
import { handleCommand } from '../handlers/command-handler.js';
import type { HandlerContext } from '../handlers/context.js';
import { refusal } from '../handlers/refusal.js';
import type { Outcome } from '../outcome.js';
import type { SenderGuard } from './sender-guard.js';

export type { InputKind } from '../../shared/index.js';

/** One delivery from an input queue. */
export interface Input {
  kind: InputKind;
  queue: string;
  msg: ConsumeMessage;
  /** What was decided before the batch (admission-gate.ts): a refusal, a verified password, a new hash. */
  admitted?: Admitted | undefined;
  /** The body, decoded and valid, when the admission gate decoded it already (each body is decoded once). */
  value?: ChatSend | CommandRequest | undefined;
  /** Set by handleInput once the body is decoded, for the metrics: the message's type and its clientTs. */
  type?: string | undefined;
  clientTs?: string | undefined;
}

export type ContextFor = (now: Date, replyTo: string | undefined) => HandlerContext;

/**
 * Decode (noting the type and clientTs on `input`, for the metrics), then hand to the chat or
 * command handler. Bad input and refused requests become a refusal (an error reply, a REJECTED
 * line, maybe a dead-letter copy); only a fault of ours throws.
 */
export function handleInput(input: Input, now: Date, topology: Topology, contextFor: ContextFor, guard?: SenderGuard): Outcome {
  const { kind, queue, msg } = input;
  // Secure mode (a guard): the sender is the client the broker vouches for, and it is answered on
  // its own queue only. Open mode: the replyTo the message names, as the protocol always allowed.
  const sender = guard?.senderOf(msg.properties.userId);
  if (guard && sender === undefined) {
    return refusal({
      queue,
      code: ERROR_CODES.SENDER_UNVERIFIED,
      reason: 'input without a client id in its userId property (secure mode: the broker vouches for the sender through it)',
      serverTs: now.toISOString(),
      replyTo: undefined,
    });
  }
  const replyTo = guard && sender !== undefined ? guard.replyQueue(sender) : validReplyTo(topology, msg.properties.replyTo);
  // contextFor makes a new object each time: the input's admission is set on it rather than copied into another.
  const ctx = contextFor(now, replyTo);
  ctx.admitted = input.admitted;
  const decoded = input.value ? { ok: true as const, value: input.value } : decodeInput(kind, msg.content);
  if (!decoded.ok) {
    return refusal({ queue, code: decoded.code, reason: decoded.message, serverTs: now.toISOString(), replyTo, requestId: decoded.requestId });
  }
  const value = decoded.value;
  input.type = value.type;
  input.clientTs = 'clientTs' in value ? value.clientTs : undefined;
  try {
    if (input.admitted?.refusal) throw input.admitted.refusal;
    if (guard && sender !== undefined) {
      if (value.type === 'login') guard.checkLogin(sender, value);
      else guard.checkToken(ctx.registry, sender, value.token);
    }
    const outcome = value.type === 'chat' ? handleChat(value, ctx) : handleCommand(value, ctx);
    if (guard && sender !== undefined && value.type === 'login') bindAfterLogin(guard, sender, outcome);
    return outcome;
  } catch (err) {
    if (!isWarrenError(err)) throw err;
    return refusal({
      queue,
      code: err.code,
      reason: err.message,
      serverTs: now.toISOString(),
      replyTo,
      requestId: value.type === 'chat' ? value.id : value.requestId,
      from: value.type === 'chat' ? value.from : value.type === 'login' ? value.name : undefined,
      retryAfterMs: 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : undefined,
    });
  }
}

/**
 * Handling failed on every delivery the queue allows: tell the sender (if it can be reached) and
 * dead-letter the input ourselves, with the reason, rather than let the broker drop it silently.
 */
export function gaveUpOutcome(input: Input, now: Date, topology: Topology, attempts: number, reason: string, guard?: SenderGuard): Outcome {
  const sender = guard?.senderOf(input.msg.properties.userId);
  const decoded = decodeInput(input.kind, input.msg.content);
  const outcome = refusal({
    queue: input.queue,
    code: ERROR_CODES.INTERNAL,
    reason: `the coordinator failed to handle this message ${attempts} times; it was dead-lettered`,
    serverTs: now.toISOString(),
    replyTo: guard ? (sender === undefined ? undefined : guard.replyQueue(sender)) : validReplyTo(topology, input.msg.properties.replyTo),
    requestId: decoded.ok ? inputId(decoded.value) : decoded.requestId,
  });
  outcome.deadLetter = { code: ERROR_CODES.INTERNAL, reason };
  return outcome;
}

/** A delivery's `replyTo` if it names one of this namespace's client queues; anything else is ignored. */
export function validReplyTo(topology: Topology, replyTo: unknown): string | undefined {
  if (typeof replyTo !== 'string') return undefined;
  const suffix = replyTo.slice(topology.clientQueuePrefix.length);
  return replyTo.startsWith(topology.clientQueuePrefix) && /^[A-Za-z0-9_-]{1,64}$/.test(suffix) ? replyTo : undefined;
}

/** The login was accepted: bind the id to the name before the answer goes out, so the client may then bind to events. */
function bindAfterLogin(guard: SenderGuard, sender: string, outcome: Outcome): void {
  const accepted = outcome.replies.find((reply) => reply.body.type === 'login.ok');
  if (!accepted || accepted.body.type !== 'login.ok') return;
  const result = guard.bindLogin(sender, accepted.body.name);
  // checkLogin ruled the other results out; one here means the id changed under us: refuse rather than half-log-in.
  if (result !== 'bound' && result !== 'already-bound') {
    throw new Error(`could not bind client ${sender} to ${accepted.body.name}: ${result}`);
  }
}

function decodeInput(kind: InputKind, content: Buffer): ReturnType<typeof decodeChat> | ReturnType<typeof decodeCommand> {
  return kind === 'chat' ? decodeChat(content) : decodeCommand(content);
}

/** The id a client chose for an input (a chat message's `id`, a request's `requestId`), if any. */
function inputId(value: object): string | undefined {
  const record = value as { id?: unknown; requestId?: unknown };
  if (typeof record.requestId === 'string') return record.requestId;
  return typeof record.id === 'string' ? record.id : undefined;
}
