/**
 * Protocol version 2's one addition (docs/PROTOCOL.md §3.5): a delivery may carry several of the
 * coordinator's messages at once, as `{"type":"batch","items":[…]}`. Every item is exactly the
 * body the message would have had on its own, in the order the coordinator produced them; a
 * receiver handles them one after the other, as if they had arrived separately.
 *
 * The coordinator batches only for clients that said `protocol: 2` (or later) at login, and only
 * when there is more than one item: at human rates every delivery is a single plain message.
 */
export const PROTOCOL_VERSION = 2;

/** Clients that send no `protocol` at login speak version 1: one message per delivery. */
export const FIRST_PROTOCOL_VERSION = 1;

export const BATCH_TYPE = 'batch';

/** Most items in one delivery: a turn's output is split into several deliveries beyond it. */
export const MAX_BATCH_ITEMS = 500;

/**
 * One delivery's body from the JSON texts of its items: a single item goes out plain, several as a
 * batch. The items are encoded once by the caller and pasted in, not parsed and encoded again.
 */
export function encodeDelivery(items: readonly string[]): Buffer {
  if (items.length === 1) return Buffer.from(items[0] as string);
  return Buffer.from(`{"type":"${BATCH_TYPE}","items":[${items.join(',')}]}`);
}

/** Splits `items` into deliveries of at most MAX_BATCH_ITEMS each, in order. */
export function encodeDeliveries(items: readonly string[]): Buffer[] {
  if (items.length <= MAX_BATCH_ITEMS) return [encodeDelivery(items)];
  const bodies: Buffer[] = [];
  for (let start = 0; start < items.length; start += MAX_BATCH_ITEMS) bodies.push(encodeDelivery(items.slice(start, start + MAX_BATCH_ITEMS)));
  return bodies;
}

/**
 * The messages a delivery's parsed JSON carries: the items of a batch, or the value itself.
 * A batch that is not well formed is an error, reported by the caller as one malformed message.
 */
export function unpackDelivery(value: unknown): { ok: true; items: unknown[] } | { ok: false; reason: string } {
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== BATCH_TYPE) return { ok: true, items: [value] };
  const items = (value as { items?: unknown }).items;
  if (!Array.isArray(items) || items.length === 0) return { ok: false, reason: 'a batch needs a non-empty items array' };
  if (items.length > MAX_BATCH_ITEMS) return { ok: false, reason: `a batch carries at most ${MAX_BATCH_ITEMS} items (got ${items.length})` };
  if (Object.keys(value).length !== 2) return { ok: false, reason: 'a batch has only the fields type and items' };
  return { ok: true, items };
}
