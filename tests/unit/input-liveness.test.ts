import { InputLiveness, livenessIntervalMs } from '../../server/sweeps/input-liveness.js';
import { silentLogger } from '../../server/logger.js';

/** InputLiveness on a hand-moved clock: which probes go out, when a queue counts as stalled, and since when the input flows. */
function harness(options: { active?: string[]; connected?: boolean } = {}) {
  let now = 1_000;
  const active = options.active ?? ['chat', 'commands'];
  const sent: { queue: string; id: string }[] = [];
  const stallsNoted: number[] = [];
  const state = { connected: options.connected ?? true };
  const liveness = new InputLiveness({
    activeQueues: () => active,
    send: (queue, id) => {
      if (!state.connected) return false;
      sent.push({ queue, id });
      return true;
    },
    intervalMs: 500,
    stallMs: 1000,
    onStalled: (atMs) => stallsNoted.push(atMs),
    logger: silentLogger,
    now: () => now,
  });
  return {
    liveness,
    sent,
    stallsNoted,
    active,
    state,
    advance: (ms: number) => {
      now += ms;
      liveness.tick();
    },
    now: () => now,
    /** The last probe sent to `queue` arrives. */
    arrive: (queue: string) => {
      const probe = sent.filter((entry) => entry.queue === queue).at(-1);
      if (!probe) throw new Error(`no probe was sent to ${queue}`);
      liveness.arrived(queue, probe.id);
    },
  };
}

describe('input liveness', () => {
  it('probes each queue held here, one probe out per queue at a time', () => {
    const h = harness();
    h.advance(0);
    expect(h.sent.map((probe) => probe.queue)).toEqual(['chat', 'commands']);
    h.advance(500);
    // Still out: no second probe.
    expect(h.sent).toHaveLength(2);
    h.arrive('chat');
    h.advance(500);
    expect(h.sent.map((probe) => probe.queue)).toEqual(['chat', 'commands', 'chat']);
  });

  it('a probe overdue marks its queue stalled: flowing is undefined until it arrives, then counts from that moment', () => {
    const h = harness({ active: ['commands'] });
    const start = h.now();
    h.advance(0);
    expect(h.liveness.flowingSinceMs).toBe(start);
    h.advance(1001);
    expect(h.liveness.stalledQueues).toEqual(['commands']);
    expect(h.liveness.flowingSinceMs).toBeUndefined();
    h.advance(5000);
    expect(h.liveness.flowingSinceMs).toBeUndefined();
    h.arrive('commands');
    expect(h.liveness.stalledQueues).toEqual([]);
    expect(h.liveness.flowingSinceMs).toBe(h.now());
  });

  it('tells of the stall at every round while it lasts, and no longer once it is over', () => {
    const h = harness({ active: ['commands'] });
    h.advance(0);
    h.advance(500);
    expect(h.stallsNoted).toEqual([]);
    h.advance(501);
    h.advance(500);
    h.advance(500);
    expect(h.stallsNoted).toEqual([2001, 2501, 3001]);
    h.arrive('commands');
    h.advance(500);
    expect(h.stallsNoted).toEqual([2001, 2501, 3001]);
  });

  it('a probe in time never stalls anything', () => {
    const h = harness();
    for (let round = 0; round < 10; round += 1) {
      h.advance(500);
      h.arrive('chat');
      h.arrive('commands');
    }
    expect(h.liveness.flowingSinceMs).toBe(1_000);
  });

  it('a probe nobody here sent, or one named for another queue, changes nothing', () => {
    const h = harness();
    h.advance(0);
    h.advance(1001);
    expect(h.liveness.stalledQueues).toEqual(['chat', 'commands']);
    h.liveness.arrived('commands', 'forged-id');
    const chatProbe = h.sent.find((probe) => probe.queue === 'chat');
    h.liveness.arrived('commands', chatProbe?.id ?? '');
    expect(h.liveness.stalledQueues).toEqual(['chat', 'commands']);
    expect(h.liveness.flowingSinceMs).toBeUndefined();
  });

  it('a queue no longer held here is no longer judged: its stall ends with it', () => {
    const h = harness();
    h.advance(0);
    h.arrive('chat');
    h.advance(1001);
    expect(h.liveness.stalledQueues).toEqual(['commands']);
    h.active.splice(h.active.indexOf('commands'), 1);
    h.advance(1);
    expect(h.liveness.stalledQueues).toEqual([]);
    expect(h.liveness.flowingSinceMs).toBe(h.now());
  });

  it('offline, nothing is sent and nothing stalls; reset voids the probes out', () => {
    const h = harness({ connected: false });
    h.advance(5000);
    expect(h.sent).toHaveLength(0);
    expect(h.liveness.flowingSinceMs).toBe(1_000);
    h.state.connected = true;
    h.advance(0);
    expect(h.sent).toHaveLength(2);
    h.liveness.reset();
    h.advance(1001);
    // The voided probes do not count as overdue; new ones went out.
    expect(h.liveness.stalledQueues).toEqual([]);
    expect(h.sent).toHaveLength(4);
    expect(h.liveness.flowingSinceMs).toBe(h.now() - 1001);
  });

  it('probes a fifth of the session timeout apart, within 200 ms and 2 s', () => {
    expect(livenessIntervalMs(15_000)).toBe(2000);
    expect(livenessIntervalMs(3000)).toBe(600);
    expect(livenessIntervalMs(500)).toBe(200);
  });
});
