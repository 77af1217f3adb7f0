import { Socket } from 'node:net';

/**
 * One socket write per tick instead of one per frame. amqplib hands every publish, ack and
 * method frame to its socket as a write of its own, and with TCP_NODELAY on (as warren sets it)
 * each becomes its own `write` system call and TCP segment: a coordinator's turn that publishes a
 * room's batch, replies to ten clients and acks their inputs made a dozen or more. Corked for the
 * rest of the tick, the socket sends whatever the tick wrote as one `writev`, in the same order:
 * nothing waits longer than the tick that wrote it (Node's documented `cork()` + `uncork()` on
 * `process.nextTick` pattern).
 *
 * It reaches into amqplib's connection for its socket (`ChannelModel.connection.stream`, amqplib
 * 0.10); where that is not a socket (another version, a stream of a test's own), it changes
 * nothing and says so by returning false.
 */
export function coalesceSocketWrites(channelModel: unknown): boolean {
  const socket = socketOf(channelModel);
  if (!socket || COALESCED.has(socket)) return socket !== undefined;
  COALESCED.add(socket);
  const write = socket.write;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = function coalescedWrite(this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Socket['write'];
  return true;
}

const COALESCED = new WeakSet<Socket>();

function socketOf(channelModel: unknown): Socket | undefined {
  if (typeof channelModel !== 'object' || channelModel === null) return undefined;
  const connection = (channelModel as { connection?: unknown }).connection;
  if (typeof connection !== 'object' || connection === null) return undefined;
  const stream = (connection as { stream?: unknown }).stream;
  return stream instanceof Socket ? stream : undefined;
}
