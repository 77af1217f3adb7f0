import type { Options } from 'amqplib';

/**
 * Length caps of the queues warren bounds (docs/SECURITY.md "Caps"). Bytes count message bodies
 * only (RabbitMQ's rule). A queue declared earlier without these arguments refuses a declaration
 * with them (406 PRECONDITION_FAILED, inequivalent arg): server/broker/precondition.ts explains it.
 */
export interface QueueCaps {
  /** Each of `<ns>.chat` and `<ns>.commands`. */
  readonly inputMaxLength: number;
  readonly inputMaxBytes: number;
  readonly deadLetterMaxLength: number;
  readonly deadLetterMaxBytes: number;
  /** A client's own queue: a client that stops reading cannot make the broker hold without bound. */
  readonly clientMaxLength: number;
  readonly clientMaxBytes: number;
}

export const DEFAULT_QUEUE_CAPS: QueueCaps = {
  inputMaxLength: 10_000,
  inputMaxBytes: 64 * 1024 * 1024,
  deadLetterMaxLength: 10_000,
  deadLetterMaxBytes: 32 * 1024 * 1024,
  clientMaxLength: 5_000,
  clientMaxBytes: 16 * 1024 * 1024,
};

/** Input-queue arguments the caps add: `reject-publish` nacks the flooder's publish instead of dropping somebody else's oldest input. */
export function inputCapArguments(caps: QueueCaps): Record<string, unknown> {
  return { 'x-max-length': caps.inputMaxLength, 'x-max-length-bytes': caps.inputMaxBytes, 'x-overflow': 'reject-publish' };
}

/**
 * The dead-letter queue keeps the newest copies (default `drop-head`) within both caps. A quorum
 * queue like the inputs: a classic queue lives on one node, and while that node of a cluster is
 * down every declaration of it fails (404 "home node ... is down"), which would keep the
 * coordinator and every client from setting up at all.
 */
export function cappedDeadLetterQueueOptions(caps: QueueCaps = DEFAULT_QUEUE_CAPS): Options.AssertQueue {
  return { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-max-length': caps.deadLetterMaxLength, 'x-max-length-bytes': caps.deadLetterMaxBytes } };
}
