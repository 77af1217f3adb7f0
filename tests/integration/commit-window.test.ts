import type { Channel, ConsumeMessage } from 'amqplib';
import type { Store } from '../../server/store/store.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { waitFor } from '../support/wait.js';

/** What the test watches inside the coordinator: its store's batches and the acks the input pipeline sends. */
interface Watched {
  /** Inputs (chat ids) in each batch that stored messages, in commit order. */
  batches: string[][];
  /** Chat ids acked before the batch that stored them had committed. */
  ackedEarly: string[];
  acked: string[];
}

/** Wraps the store's batch and appendMessage and the pipeline's ack coalescer of `running`. */
function watch(running: RunningCoordinator): Watched {
  const internals = running.coordinator as unknown as {
    store: Store;
    input: { acks: { ack(channel: Channel, msgs: readonly ConsumeMessage[]): void } };
  };
  const { store } = internals;
  const watched: Watched = { batches: [], ackedEarly: [], acked: [] };
  const committed = new Set<string>();
  let current: string[] = [];
  const append = store.appendMessage.bind(store);
  store.appendMessage = (message) => {
    const result = append(message);
    current.push(message.clientMsgId);
    return result;
  };
  const batch = store.batch.bind(store);
  store.batch = <T>(fn: () => T): T => {
    current = [];
    const result = batch(fn); // returns once committed
    if (current.length > 0) watched.batches.push(current);
    for (const id of current) committed.add(id);
    current = [];
    return result;
  };
  const acks = internals.input.acks;
  const ack = acks.ack.bind(acks);
  acks.ack = (channel, msgs) => {
    for (const msg of msgs) {
      const body = JSON.parse(msg.content.toString()) as { type?: string; id?: string };
      if (body.type !== 'chat' || body.id === undefined) continue;
      watched.acked.push(body.id);
      if (!committed.has(body.id)) watched.ackedEarly.push(body.id);
    }
    ack(channel, msgs);
  };
  return watched;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('group commit across turns (WARREN_COMMIT_WINDOW_MS)', () => {
  let running: RunningCoordinator | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('stores inputs of several turns in one transaction, and acks none of them before that commit', async () => {
    // A window far wider than the sends below take: they are stored together unless the machine stalls for a second.
    running = await startCoordinator({ commitWindowMs: 1000 });
    const watched = watch(running);
    const client = await running.client();
    await client.login('alice');
    const sends: Promise<{ seq: number }>[] = [];
    for (let i = 0; i < 5; i += 1) {
      sends.push(client.send(`line ${i}`));
      // Each in a turn of its own at the coordinator: without the window, each would be a batch.
      await pause(30);
    }
    const events = await Promise.all(sends);
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(watched.batches.flat()).toHaveLength(5);
    expect(watched.batches.length).toBeLessThan(5);
    // A client sees its message once published; the ack follows the publish confirms.
    await waitFor(() => watched.acked.length === 5, 'the five inputs acked', 5000);
    expect(watched.ackedEarly).toEqual([]);
    expect(running.logLines().filter((line) => line.includes('line '))).toHaveLength(5);
  });

  it('at 0, a message after a quiet spell is stored in the next turn, in a batch of its own', async () => {
    running = await startCoordinator({ commitWindowMs: 0 });
    const watched = watch(running);
    const client = await running.client();
    await client.login('bob');
    for (let i = 0; i < 3; i += 1) await client.send(`one at a time ${i}`);
    expect(watched.batches).toHaveLength(3);
    await waitFor(() => watched.acked.length === 3, 'the three inputs acked', 5000);
    expect(watched.ackedEarly).toEqual([]);
  });
});
