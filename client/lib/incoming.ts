import {
  ERROR_CODES,
  REPLY_TYPE_OF,
  WarrenError,
  serverMessageSchema,
  unpackDelivery,
  type ServerMessage,
} from '../../shared/index.js';

export type IncomingType = ServerMessage['type'];
export type IncomingOf<K extends IncomingType> = Extract<ServerMessage, { type: K }>;

/** The successful answers to commands: every type REPLY_TYPE_OF names, and nothing else. */
export type ReplyType = (typeof REPLY_TYPE_OF)[keyof typeof REPLY_TYPE_OF];
export type AnyReply = IncomingOf<ReplyType>;

/**
 * One handler per kind of incoming message, except the answers to commands, which share one.
 * The mapped type makes a message type the protocol adds and the client does not handle a compile error.
 */
export type IncomingHandlers = { [K in Exclude<IncomingType, ReplyType>]: (message: IncomingOf<K>) => void } & {
  reply: (message: AnyReply) => void;
};

const REPLY_TYPES: ReadonlySet<string> = new Set(Object.values(REPLY_TYPE_OF));

function isAnyReply(message: ServerMessage): message is AnyReply {
  return REPLY_TYPES.has(message.type);
}

/** A body from our queue to a protocol message, or the reason it is not one. */
export function parseIncoming(body: Buffer): ServerMessage | WarrenError {
  const [first] = parseDelivery(body);
  return first ?? malformed('an empty batch');
}

/**
 * A body from our queue to the protocol messages it carries, in order: one, or the items of a
 * batch (protocol 2, shared/delivery-batch.ts). An item that is not a protocol message becomes
 * its own error, and the others are still handled.
 */
export function parseDelivery(body: Buffer): (ServerMessage | WarrenError)[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return [malformed(String(err))];
  }
  const unpacked = unpackDelivery(value);
  if (!unpacked.ok) return [malformed(unpacked.reason)];
  return unpacked.items.map((item) => {
    const result = serverMessageSchema.safeParse(item);
    return result.success ? result.data : malformed(result.error.issues[0]?.message ?? 'invalid');
  });
}

function malformed(reason: string): WarrenError {
  return new WarrenError(ERROR_CODES.INVALID_MESSAGE, `ignored a malformed message: ${reason}`);
}

/** Hands `message` to the handler of its type. */
export function dispatchIncoming(message: ServerMessage, handlers: IncomingHandlers): void {
  if (isAnyReply(message)) {
    handlers.reply(message);
    return;
  }
  // TypeScript cannot pair a union-typed message with the handler of its own type; the mapped type above guarantees it.
  const handler = handlers[message.type] as (message: ServerMessage) => void;
  handler(message);
}
