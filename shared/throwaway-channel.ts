import type { Channel } from 'amqplib';

/**
 * Closes a throwaway channel (BrokerConnection.openThrowawayChannel) and resolves once it is
 * closed, however that comes about; never rejects.
 *
 * amqplib's own `close()` never settles when its connection starts closing between our
 * ChannelClose and the broker's CloseOk (a forced reconnect, say: the client's queue was deleted
 * and its consumer cancelled at that moment). The closing connection ignores every frame but its
 * own CloseOk, so the channel's CloseOk is dropped, and the connection then moves the channel to
 * closed (its 'close' event) without calling back the pending close. The 'close' event comes in
 * every case, so it settles this too; a channel already closed makes `close()` reject, which does.
 */
export function closeThrowawayChannel(channel: Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.off('close', done);
      resolve();
    };
    channel.on('close', done);
    channel.close().then(done, done);
  });
}
