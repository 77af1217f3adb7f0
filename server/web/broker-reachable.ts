import { connect } from 'node:net';

/**
 * Whether a TCP connection to the broker's AMQP port opens within `timeoutMs`: the gateway has no
 * broker identity of its own to log in with, so reaching the port is what readiness can check.
 */
export function brokerReachable(amqpUrl: string, timeoutMs = 2000): Promise<boolean> {
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
