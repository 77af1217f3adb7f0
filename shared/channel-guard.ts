import type { Channel } from 'amqplib';

/**
 * Calls `reopen` when the broker closes `channel` while the connection stays up (a 404 on a bind
 * to a deleted exchange, say): amqp-connection-manager re-creates a managed channel only after a
 * reconnect, so without this the channel would stay dead. A close without a preceding error is
 * the connection's own and is left to the connection manager. `reopen` runs at most once per
 * `minGapMs`, so a broker that keeps refusing a set-up does not make it spin.
 */
export function reopenWhenClosedByBroker(channel: Channel, reopen: (reason: string) => void, state: { lastMs: number }, minGapMs = 2000): void {
  let reason: string | undefined;
  channel.on('error', (err: unknown) => {
    reason = err instanceof Error ? err.message : String(err);
  });
  channel.on('close', () => {
    if (reason === undefined) return;
    const why = reason;
    const delay = Math.max(0, state.lastMs + minGapMs - Date.now());
    const timer = setTimeout(() => {
      state.lastMs = Date.now();
      reopen(why);
    }, delay);
    timer.unref();
  });
}
