import { jest } from '@jest/globals';
import { PresenceBatcher } from '../../server/output/presence-batcher.js';
import { presence } from '../../server/outcome.js';
import { presenceBatchSchema, serverMessageSchema, type PresenceBatch, type PresenceEvent } from '../../shared/index.js';
import { SAMPLE_TS } from '../support/samples.js';

const WINDOW_MS = 40;

type Body = PresenceEvent | PresenceBatch;

function recorder(result: () => Promise<unknown> = () => Promise.resolve()): { sent: { body: Body; at: number }[]; publish: (body: Body) => Promise<unknown> } {
  const sent: { body: Body; at: number }[] = [];
  return {
    sent,
    publish: (body) => {
      sent.push({ body, at: Date.now() });
      return result();
    },
  };
}

const joined = (name: string, online: number): PresenceEvent => presence('joined', name, SAMPLE_TS, online);
const names = (body: Body): string[] => (body.type === 'presence' ? [body.name] : body.changes.map((change) => change.name));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('PresenceBatcher', () => {
  let batcher: PresenceBatcher | undefined;
  afterEach(() => batcher?.stop());

  it('publishes a lone change at once, as a plain presence event', async () => {
    const { sent, publish } = recorder();
    batcher = new PresenceBatcher(publish, WINDOW_MS);
    await batcher.add(joined('ana', 1));
    expect(sent.map(({ body }) => body)).toEqual([joined('ana', 1)]);
  });

  it('gathers the changes of one window into one presence.batch, in order, at most a window late', async () => {
    // On jest's clock: the window is the batcher's own timer, not how busy the machine is.
    jest.useFakeTimers();
    try {
      const { sent, publish } = recorder();
      batcher = new PresenceBatcher(publish, WINDOW_MS);
      const done = [batcher.add(joined('ana', 1)), batcher.add(joined('bo', 2)), batcher.add(presence('left', 'ana', SAMPLE_TS, 1, 'exit')), batcher.add(joined('cy', 2))];
      // The first goes out at once; the rest wait for the window to end, and not a moment longer.
      expect(sent.map(({ body }) => names(body))).toEqual([['ana']]);
      await jest.advanceTimersByTimeAsync(WINDOW_MS - 1);
      expect(sent).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      await Promise.all(done);
      expect(sent.map(({ body }) => body.type)).toEqual(['presence', 'presence.batch']);
      expect(sent.map(({ body }) => names(body))).toEqual([['ana'], ['bo', 'ana', 'cy']]);
      const batch = presenceBatchSchema.parse(sent[1]?.body);
      expect(batch.changes.map((change) => change.event)).toEqual(['joined', 'left', 'joined']);
      expect(batch.online).toBe(2);
      expect(serverMessageSchema.parse(batch)).toEqual(batch);
    } finally {
      batcher?.stop();
      jest.useRealTimers();
    }
  });

  it('sends a single late change as a plain presence event, and a quiet window resets it', async () => {
    const { sent, publish } = recorder();
    batcher = new PresenceBatcher(publish, WINDOW_MS);
    await Promise.all([batcher.add(joined('ana', 1)), batcher.add(joined('bo', 2))]);
    await sleep(WINDOW_MS * 3);
    await batcher.add(joined('cy', 3));
    expect(sent.map(({ body }) => body)).toEqual([joined('ana', 1), joined('bo', 2), joined('cy', 3)]);
  });

  it('flush() publishes what waits at once, so what follows cannot overtake it', async () => {
    const { sent, publish } = recorder();
    batcher = new PresenceBatcher(publish, 10_000);
    await batcher.add(joined('ana', 1));
    const waiting = batcher.add(joined('bo', 2));
    batcher.flush();
    await waiting;
    expect(sent.map(({ body }) => names(body))).toEqual([['ana'], ['bo']]);
  });

  it('stop() publishes what waits and lets later changes through at once', async () => {
    const { sent, publish } = recorder();
    batcher = new PresenceBatcher(publish, 10_000);
    await batcher.add(joined('ana', 1));
    const waiting = [batcher.add(joined('bo', 2)), batcher.add(joined('cy', 3))];
    batcher.stop();
    await Promise.all(waiting);
    await batcher.add(joined('dee', 4));
    expect(sent.map(({ body }) => names(body))).toEqual([['ana'], ['bo', 'cy'], ['dee']]);
  });

  it('fails every change of a batch whose publish fails', async () => {
    const { publish } = recorder(() => Promise.reject(new Error('nacked')));
    batcher = new PresenceBatcher(publish, WINDOW_MS);
    const first = batcher.add(joined('ana', 1));
    const rest = [batcher.add(joined('bo', 2)), batcher.add(joined('cy', 3))];
    await expect(first).rejects.toThrow('nacked');
    for (const change of rest) await expect(change).rejects.toThrow('nacked');
  });
});
