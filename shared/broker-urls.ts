/**
 * AMQP_URL may name every node of a RabbitMQ cluster: a comma-separated list of amqp:// URLs.
 * The connection tries them in order and moves on to the next when its node goes away
 * (shared/connection.ts). Everything that rewrites or prints the setting goes through here, so a
 * list is handled the same way as one URL. A comma inside a URL (a password) must be written %2C.
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
