import type { ConsumeMessage } from 'amqplib';
import { MAX_DELIVERIES, type Topology } from '../../shared/index.js';
import type { Logger } from '../logger.js';
import type { Outcome } from '../outcome.js';
import { gaveUpOutcome, handleInput, type ContextFor, type Input } from './handle-input.js';
import type { SenderGuard } from './sender-guard.js';

export interface AttemptDeps {
  topology: Topology;
  contextFor: ContextFor;
  logger: Logger;
  /** Secure mode: who sent an input is what the broker says (handle-input.ts). */
  guard?: SenderGuard | undefined;
}

/**
 * One attempt at an input. A fault of ours (not of the input) is retried: 'retry' means hand it
 * back to the queue. On the last delivery the quorum queue allows (it dead-letters after
 * MAX_DELIVERIES redeliveries) the input is refused with INTERNAL and dead-lettered by us instead.
 */
export function attemptInput(input: Input, now: Date, deps: AttemptDeps): Outcome | 'retry' {
  try {
    return handleInput(input, now, deps.topology, deps.contextFor, deps.guard);
  } catch (err) {
    // The store's transaction itself failed (a deadlock between coordinators on PostgreSQL): the
    // whole turn is rolled back and handed back, not this one input.
    if (isTransactionConflict(err)) throw err;
    const attempt = attemptsOf(input.msg);
    deps.logger.error(
      `failed to handle a ${input.kind} message (attempt ${attempt} of ${MAX_DELIVERIES + 1}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    if (attempt <= MAX_DELIVERIES) return 'retry';
    return gaveUpOutcome(input, now, deps.topology, attempt, err instanceof Error ? err.message : String(err), deps.guard);
  }
}

/** PostgreSQL's deadlock (40P01) and serialization failure (40001): the transaction, not the input, failed. */
export function isTransactionConflict(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === '40P01' || code === '40001';
}

/** Deliveries of this message so far, this one included, as counted by the quorum queue. */
export function attemptsOf(msg: ConsumeMessage): number {
  const count: unknown = msg.properties.headers?.['x-delivery-count'];
  return (typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : 0) + 1;
}
