import { connect } from 'node:net';
import { brokerUrls } from '../../shared/broker-urls.js';

/**
 * Whether a TCP connection to a broker's AMQP port opens within `timeoutMs`: the gateway has no
 * broker identity of its own to log in with, so reaching the port is what readiness can check.
 * With a cluster's list of URLs, one node reachable is enough (the connection moves to it).
 */
export async function brokerReachable(amqpUrl: string, timeoutMs = 2000): Promise<boolean> {
  const answers = await Promise.all(brokerUrls(amqpUrl).map((one) => portOpens(one, timeoutMs)));
  return answers.some(Boolean);
}

function portOpens(amqpUrl: string, timeoutMs: number): Promise<boolean> {
  const url = new URL(amqpUrl);
  const port = Number(url.port || (url.protocol === 'amqps:' ? 5671 : 5672));
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
