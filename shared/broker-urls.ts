/**
 * AMQP_URL may name every node of a RabbitMQ cluster: a comma-separated list of amqp:// URLs.
 * A connection starts at one node of the list (the first, or a random one: WARREN_AMQP_NODE_ORDER)
 * and moves on to the next, round the list, when its node goes away (shared/connection.ts).
 * Everything that rewrites or prints the setting goes through here, so a list is handled the same
 * way as one URL. A comma inside a URL (a password) must be written %2C.
 */

/** The URLs of a list, in the order given (one URL is a list of one). */
export function brokerUrls(list: string): string[] {
  return list.split(',');
}

/** The list with `rewrite` applied to each URL, as a list again. */
export function mapBrokerUrls(list: string, rewrite: (url: string) => string): string {
  return brokerUrls(list).map(rewrite).join(',');
}

/** Hides the password of every URL of an AMQP URL list, for messages and logs. */
export function redactUrl(list: string): string {
  return list.replace(/\/\/([^:/@,]+):([^@/,]*)@/g, '//$1:***@');
}

/**
 * Where a connection starts in the list (WARREN_AMQP_NODE_ORDER). `listed`: at the first node,
 * every connection alike (one node carries everyone until it fails, then everyone moves at once).
 * `spread`: at a node chosen at random for each connection, so connections given the same list
 * share the nodes out. Either way the nodes after the start are tried in the listed order, round
 * the list.
 */
export const NODE_ORDERS = ['spread', 'listed'] as const;
export type NodeOrder = (typeof NODE_ORDERS)[number];

/** Picks a start among `count` nodes: a whole number from 0 to count − 1. */
export type NodePick = (count: number) => number;

/** The default pick of `spread`: uniform. Math.random is enough for sharing out load (nothing secret depends on it). */
export const randomNode: NodePick = (count) => Math.floor(Math.random() * count);

/** `items` turned to begin at index `start` (taken round the list), the rest following in order and wrapping round. */
export function rotateList<T>(items: readonly T[], start: number): T[] {
  if (!Number.isInteger(start)) throw new RangeError(`a list can only be turned by a whole number of places (got ${start})`);
  if (items.length === 0) return [];
  const offset = ((start % items.length) + items.length) % items.length;
  return [...items.slice(offset), ...items.slice(0, offset)];
}

/** The index a connection starts at in a list of `count` nodes: 0 for `listed`, `pick`'s choice for `spread`. */
export function startingNode(order: NodeOrder, count: number, pick: NodePick = randomNode): number {
  if (order === 'listed' || count <= 1) return 0;
  const start = pick(count);
  if (!Number.isInteger(start) || start < 0 || start >= count) throw new RangeError(`the starting node must be a whole number from 0 to ${count - 1} (got ${start})`);
  return start;
}
