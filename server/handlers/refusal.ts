import { ERROR_CODES, isWireErrorCode, type ErrorCode } from '../../shared/index.js';
import { emptyOutcome, type Outcome } from '../outcome.js';

/** Codes that mean the input was broken or hostile, not merely refused: these are dead-lettered. */
const DEAD_LETTERED: ReadonlySet<ErrorCode> = new Set([
  ERROR_CODES.MALFORMED_JSON,
  ERROR_CODES.INVALID_MESSAGE,
  ERROR_CODES.UNKNOWN_TYPE,
  ERROR_CODES.PAYLOAD_TOO_LARGE,
  ERROR_CODES.TEXT_TOO_LONG,
  ERROR_CODES.TEXT_EMPTY,
  ERROR_CODES.FORGED_SENDER,
  ERROR_CODES.SESSION_UNKNOWN,
  ERROR_CODES.UNKNOWN_ROOM,
]);

export interface RefusalInput {
  queue: string;
  code: ErrorCode;
  reason: string;
  serverTs: string;
  replyTo: string | undefined;
  requestId?: string | undefined;
  from?: string | undefined;
  /** RATE_LIMITED: when to try again (also in the message). */
  retryAfterMs?: number | undefined;
}

/** An error reply where one is possible, a REJECTED log line always, and the dead-letter copy if due. */
export function refusal(input: RefusalInput): Outcome {
  const outcome = emptyOutcome();
  outcome.refused = input.code;
  outcome.log.push({
    kind: 'REJECTED',
    serverTs: input.serverTs,
    queue: input.queue,
    code: input.code,
    reason: input.reason,
    ...(input.from === undefined ? {} : { from: input.from }),
    ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
  });
  if (input.replyTo !== undefined) {
    outcome.replies.push({
      queue: input.replyTo,
      body: {
        type: 'error',
        // Only wire codes may cross; a local one reaching here is a coordinator bug, answered as such.
        code: isWireErrorCode(input.code) ? input.code : ERROR_CODES.INTERNAL,
        message: input.reason,
        ...(input.retryAfterMs === undefined ? {} : { retryAfterMs: input.retryAfterMs }),
        ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
      },
    });
  }
  if (DEAD_LETTERED.has(input.code)) outcome.deadLetter = { code: input.code, reason: input.reason };
  return outcome;
}
