/**
 * Stable error codes; users, tests and other implementations may rely on them. Two tables, so
 * that the protocol's own type says which codes can arrive in an `error` reply:
 * - WIRE_ERROR_CODES: what the coordinator may send (docs/PROTOCOL.md §13.1).
 * - LOCAL_ERROR_CODES: raised inside one process (client library, terminal UI, an entry point's
 *   settings, a broker connection) and never sent over the wire (§13.2).
 */
export const WIRE_ERROR_CODES = {
  NAME_INVALID: 'NAME_INVALID',
  NAME_TAKEN: 'NAME_TAKEN',
  /** Names: specific refusals (see shared/names.ts). */
  NAME_CONTROL_CHAR: 'NAME_CONTROL_CHAR',
  NAME_BIDI_CONTROL: 'NAME_BIDI_CONTROL',
  NAME_INVISIBLE_CHAR: 'NAME_INVISIBLE_CHAR',
  NAME_MIXED_SCRIPT: 'NAME_MIXED_SCRIPT',
  /** Accounts (registered names) and passwords. */
  PASSWORD_TOO_SHORT: 'PASSWORD_TOO_SHORT',
  PASSWORD_TOO_LONG: 'PASSWORD_TOO_LONG',
  PASSWORD_INVALID: 'PASSWORD_INVALID',
  PASSWORD_REQUIRED: 'PASSWORD_REQUIRED',
  PASSWORD_WRONG: 'PASSWORD_WRONG',
  ACCOUNT_EXISTS: 'ACCOUNT_EXISTS',
  /** Too many requests of one kind from one user; the message says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  MALFORMED_JSON: 'MALFORMED_JSON',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  TEXT_TOO_LONG: 'TEXT_TOO_LONG',
  TEXT_EMPTY: 'TEXT_EMPTY',
  SESSION_UNKNOWN: 'SESSION_UNKNOWN',
  FORGED_SENDER: 'FORGED_SENDER',
  /** Secure mode: an input without a client id in its broker-checked `userId` property. */
  SENDER_UNVERIFIED: 'SENDER_UNVERIFIED',
  UNKNOWN_ROOM: 'UNKNOWN_ROOM',
  ROOM_INVALID: 'ROOM_INVALID',
  ROOM_EXISTS: 'ROOM_EXISTS',
  NOT_A_MEMBER: 'NOT_A_MEMBER',
  ALREADY_MEMBER: 'ALREADY_MEMBER',
  NOT_ADMIN: 'NOT_ADMIN',
  NOT_INVITED: 'NOT_INVITED',
  LAST_ADMIN: 'LAST_ADMIN',
  CANNOT_LEAVE: 'CANNOT_LEAVE',
  UNKNOWN_MESSAGE: 'UNKNOWN_MESSAGE',
  NOT_YOUR_MESSAGE: 'NOT_YOUR_MESSAGE',
  /** Also raised locally by the client for a command typed with wrong arguments. */
  COMMAND_USAGE: 'COMMAND_USAGE',
  /** Also used locally for failures of the process itself. */
  INTERNAL: 'INTERNAL',
} as const;

export const LOCAL_ERROR_CODES = {
  ALREADY_LOGGED_IN: 'ALREADY_LOGGED_IN',
  /** /register: the two passwords typed differ. */
  PASSWORD_MISMATCH: 'PASSWORD_MISMATCH',
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  NOT_CONNECTED: 'NOT_CONNECTED',
  NOT_LOGGED_IN: 'NOT_LOGGED_IN',
  CLOSED: 'CLOSED',
  BROKER_UNREACHABLE: 'BROKER_UNREACHABLE',
  BROKER_ACCESS_REFUSED: 'BROKER_ACCESS_REFUSED',
  CONFIG_INVALID: 'CONFIG_INVALID',
  INPUT_CLOSED: 'INPUT_CLOSED',
  NOT_ACCEPTED: 'NOT_ACCEPTED',
  /** The broker refused a publish (an input queue at its cap): nothing was sent; the user may try again. */
  CHAT_BUSY: 'CHAT_BUSY',
  TTL_INVALID: 'TTL_INVALID',
  /** Secure mode, client side: a delivery not published by the coordinator's broker user; dropped. */
  UNTRUSTED_SENDER: 'UNTRUSTED_SENDER',
  /** The PostgreSQL store did not answer in time (server/store/sql/postgres-database.ts); the store is closed. */
  STORE_TIMEOUT: 'STORE_TIMEOUT',
} as const;

/** Every code, for code that raises or reports one without caring where it may travel. */
export const ERROR_CODES = { ...WIRE_ERROR_CODES, ...LOCAL_ERROR_CODES } as const;

export type WireErrorCode = (typeof WIRE_ERROR_CODES)[keyof typeof WIRE_ERROR_CODES];
export type LocalErrorCode = (typeof LOCAL_ERROR_CODES)[keyof typeof LOCAL_ERROR_CODES];
export type ErrorCode = WireErrorCode | LocalErrorCode;

/** The codes an `error` reply may carry (the schema's enum). */
export const WIRE_ERROR_CODE_LIST = Object.values(WIRE_ERROR_CODES) as [WireErrorCode, ...WireErrorCode[]];
export const ERROR_CODE_LIST = Object.values(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The one error class of warren: a human message plus a stable code. */
export class WarrenError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WarrenError';
    this.code = code;
  }
}

export function isWarrenError(value: unknown, code?: ErrorCode): value is WarrenError {
  return value instanceof WarrenError && (code === undefined || value.code === code);
}

export function isWireErrorCode(code: string): code is WireErrorCode {
  return Object.hasOwn(WIRE_ERROR_CODES, code);
}
