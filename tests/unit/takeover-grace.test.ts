import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { TakeoverGrace } from '../../server/input/partition-share.js';

/** Lets the promise callbacks queued so far run (the answer about other coordinators), without moving the fake clock. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

describe('TakeoverGrace: a partition waits only when another coordinator is alive', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('waits the grace when another coordinator is alive (one may be finishing what it gave up)', async () => {
    const passed: string[] = [];
    const grace = new TakeoverGrace<string>(250, (input) => passed.push(input), () => Promise.resolve(true));
    grace.enter('q', 'a');
    grace.enter('q', 'b');
    await settle();
    expect(passed).toEqual([]);
    jest.advanceTimersByTime(250);
    expect(passed).toEqual(['a', 'b']);
    expect(grace.activeQueues).toEqual(['q']);
  });

  it.each([
    ['the answer cannot be had', () => Promise.reject(new Error('broker away'))],
    ['it is not told (the default)', undefined],
  ])('waits the whole grace when %s', async (_, othersAlive) => {
    const passed: string[] = [];
    const grace = new TakeoverGrace<string>(250, (input) => passed.push(input), othersAlive);
    grace.enter('q', 'a');
    await settle();
    expect(passed).toEqual([]);
    jest.advanceTimersByTime(249);
    expect(passed).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(passed).toEqual(['a']);
  });

  it('passes the first inputs at once, in order, when no other coordinator is alive (a coordinator started alone)', async () => {
    const passed: string[] = [];
    const grace = new TakeoverGrace<string>(250, (input) => passed.push(input), () => Promise.resolve(false));
    grace.enter('q', 'a');
    grace.enter('q', 'b');
    expect(passed).toEqual([]);
    await settle();
    // No time has passed on the clock: the grace was not applied, and its timer is gone.
    expect(passed).toEqual(['a', 'b']);
    expect(jest.getTimerCount()).toBe(0);
    grace.enter('q', 'c');
    expect(passed).toEqual(['a', 'b', 'c']);
  });

  it('asks again after the partition was released, and drops what it held when cleared while asking', async () => {
    const passed: string[] = [];
    let alive = false;
    const grace = new TakeoverGrace<string>(250, (input) => passed.push(input), () => Promise.resolve(alive));
    grace.enter('q', 'a');
    await settle();
    grace.released('q');
    alive = true;
    grace.enter('q', 'b');
    await settle();
    expect(passed).toEqual(['a']);
    grace.clear();
    alive = false;
    jest.advanceTimersByTime(1000);
    await settle();
    expect(passed).toEqual(['a']);
    expect(grace.activeQueues).toEqual([]);
  });
});
