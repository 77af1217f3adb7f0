import { jest } from '@jest/globals';
import { Heartbeat } from '../../client/lib/heartbeat.js';

describe('Heartbeat', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('does not beat before it is started', () => {
    const beat = jest.fn();
    const heartbeat = new Heartbeat(beat);
    jest.advanceTimersByTime(60_000);
    expect(beat).not.toHaveBeenCalled();
    expect(heartbeat.running).toBe(false);
  });

  it('beats once per interval while running, and not after stop', () => {
    const beat = jest.fn();
    const heartbeat = new Heartbeat(beat);
    heartbeat.start(5000);
    jest.advanceTimersByTime(4999);
    expect(beat).toHaveBeenCalledTimes(0);
    jest.advanceTimersByTime(1);
    expect(beat).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10_000);
    expect(beat).toHaveBeenCalledTimes(3);
    heartbeat.stop();
    expect(heartbeat.running).toBe(false);
    jest.advanceTimersByTime(60_000);
    expect(beat).toHaveBeenCalledTimes(3);
  });

  it('starting again replaces the interval instead of adding a second one', () => {
    const beat = jest.fn();
    const heartbeat = new Heartbeat(beat);
    heartbeat.start(1000);
    heartbeat.start(3000);
    jest.advanceTimersByTime(3000);
    expect(beat).toHaveBeenCalledTimes(1);
    heartbeat.stop();
  });

  it('stop is safe when never started', () => {
    expect(() => new Heartbeat(() => undefined).stop()).not.toThrow();
  });
});
