import { randomUUID } from 'node:crypto';
import {
  ERROR_CODES,
  WarrenError,
  isReplyOf,
  type CommandType,
  type ErrorReply,
  type ReplyOf,
  type ServerMessage,
} from '../../shared/index.js';
import { COMMAND_LABELS, buildCommand, type CommandArgs } from './command-table.js';
import { PendingRequests } from './pending-requests.js';

/** Where requests go: the command queue, through the link's outbox. */
export interface RequestSink {
  publish(id: string, body: unknown, answered: Promise<unknown>, onConfirmed: () => void, onRefused: (error: WarrenError) => void): void;
}

/**
 * Commands sent and their answers: each request gets a fresh requestId, waits for the reply with
 * that id, and resolves with the reply type the protocol gives that command (REPLY_TYPE_OF in
 * shared/replies.ts), checked when it arrives; an `error` reply rejects it with its code.
 */
export class Requester {
  private readonly pending: PendingRequests;

  constructor(
    private readonly sink: RequestSink,
    timeoutMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.pending = new PendingRequests(timeoutMs);
  }

  /** Sends `type` with `args`; `token` is the session's, for the commands that take one. */
  async request<T extends CommandType>(type: T, args: CommandArgs<T>, token?: string): Promise<ReplyOf<T>> {
    const requestId = randomUUID();
    const body = buildCommand(type, args, { requestId, token, now: this.now() });
    const answered = this.pending.wait<ServerMessage>(requestId, COMMAND_LABELS[type]);
    // The deadline starts when the broker has the request, not while it waits for a connection.
    this.sink.publish(
      requestId,
      body,
      answered,
      () => this.pending.arm(requestId),
      (error) => this.pending.reject(requestId, error),
    );
    const reply = await answered;
    if (isReplyOf(type, reply)) return reply;
    throw new WarrenError(ERROR_CODES.INVALID_MESSAGE, `${COMMAND_LABELS[type]} was answered with ${reply.type}`);
  }

  /** A reply arrived; false when nothing waits for its requestId. */
  resolve(reply: ServerMessage & { requestId: string }): boolean {
    return this.pending.resolve(reply.requestId, reply);
  }

  fail(requestId: string, reply: ErrorReply): boolean {
    return this.pending.fail(requestId, reply);
  }

  /** The connection dropped: no deadline runs until each request is confirmed again. */
  disarmAll(): void {
    this.pending.disarmAll();
  }

  rejectAll(error: WarrenError): void {
    this.pending.rejectAll(error);
  }
}
