import { ERROR_CODES, type LocalErrorCode } from './errors.js';

/** AMQP 0-9-1 reply codes warren acts on (amqplib's `constants` carry the same numbers). */
export const AMQP_REPLY_CODES = {
  CONNECTION_FORCED: 320,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  NOT_ALLOWED: 530,
} as const;

/**
 * Connection failures a retry cannot fix, by reply code: bad credentials (403) and a vhost that is
 * missing or not open to the user (530). Anything else (a broker restarting, 320 forced close, a
 * refused TCP connection) is retried with backoff.
 */
const UNRECOVERABLE: ReadonlyMap<number, LocalErrorCode> = new Map([
  [AMQP_REPLY_CODES.ACCESS_REFUSED, ERROR_CODES.BROKER_ACCESS_REFUSED],
  [AMQP_REPLY_CODES.NOT_ALLOWED, ERROR_CODES.BROKER_UNREACHABLE],
]);

/**
 * The AMQP reply code of a broker failure, when there is one. amqplib sets a numeric `code` on a
 * close the broker sends once the connection is open, but not during the handshake: there it only
 * formats the close into the message (`Handshake terminated by server: 403 (ACCESS-REFUSED) ...`),
 * or, when the broker answers `connection.open` with a close (RabbitMQ's answer for a vhost that
 * is missing or not permitted), reports `Expected ConnectionOpenOk; got <ConnectionClose ...>`
 * without the code at all; that one is counted as 530 NOT_ALLOWED.
 */
export function amqpReplyCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const handshake = /^Handshake terminated by server: (\d{3}) /.exec(err.message);
  if (handshake) return Number(handshake[1]);
  if (/^Expected ConnectionOpenOk; got <ConnectionClose\b/.test(err.message)) return AMQP_REPLY_CODES.NOT_ALLOWED;
  return undefined;
}

/** The error code to fail with for good, or undefined when reconnecting may help. */
export function unrecoverableBrokerFailure(err: unknown): LocalErrorCode | undefined {
  const code = amqpReplyCode(err);
  return code === undefined ? undefined : UNRECOVERABLE.get(code);
}
