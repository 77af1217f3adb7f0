import { Registry } from 'prom-client';
import type { WarrenClient } from '../../client/lib/warren-client.js';
import { CoordinatorMetrics } from '../../server/observability/coordinator-metrics.js';
import { topologyFor, type PresenceEvent } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { report, zeroes } from '../support/fault-kit.js';
import { linesOfKind } from '../support/log-lines.js';
import { PrivateBroker } from '../support/private-broker.js';
import { sleep, waitFor } from '../support/wait.js';

/**
 * The command queue stops delivering while the coordinator stays connected: its quorum queue
 * process is suspended on a RabbitMQ node of the test's own (what a queue without its majority,
 * or a consumer the broker stopped feeding, looks like from the coordinator). Heartbeats pile up
 * in the queue meanwhile. Nobody may be timed out for a silence the coordinator could not hear;
 * once the queue flows again, a client that really went away is timed out as usual.
 */

const SESSION_TIMEOUT_MS = 3000;
const STALL_MS = 3 * SESSION_TIMEOUT_MS;

const runnable = PrivateBroker.available() || process.env.WARREN_REQUIRE_PRIVATE_BROKER === '1';

(runnable ? describe : describe.skip)('a stalled input queue', () => {
  let broker: PrivateBroker;
  let running: RunningCoordinator | undefined;
  const others: RunningCoordinator[] = [];

  beforeAll(async () => {
    broker = await PrivateBroker.create();
    await broker.start();
  }, 120_000);

  afterAll(async () => {
    for (const other of others) await other.stop().catch(() => undefined);
    await running?.stop().catch(() => undefined);
    await broker.destroy();
  }, 60_000);

  /** Suspends (or resumes) the process of a quorum queue: it takes nothing in and delivers nothing until resumed. */
  async function suspendQueue(queue: string, how: 'suspend' | 'resume'): Promise<void> {
    const expr = `{ok, Q} = rabbit_amqqueue:lookup(rabbit_misc:r(<<"/">>, queue, <<"${queue}">>)), {Name, _} = amqqueue:get_pid(Q), sys:${how}(whereis(Name)).`;
    const out = await broker.ctl(['eval', expr]);
    if (!out.includes('ok')) throw new Error(`could not ${how} ${queue}: ${out}`);
  }

  it('times nobody out while its heartbeats cannot arrive, and times out the one who left once it flows', async () => {
    const registry = new Registry();
    running = await startCoordinator({ amqpUrl: broker.url, sessionTimeoutMs: SESSION_TIMEOUT_MS, metrics: new CoordinatorMetrics(registry) });
    const stalledGauge = async (): Promise<number> => Number(/^warren_input_queues_stalled (\S+)$/m.exec(await registry.metrics())?.[1] ?? NaN);
    const alice: WarrenClient = await running.client();
    const bob: WarrenClient = await running.client();
    await alice.login('alice');
    await bob.login('bob');
    const lost: string[] = [];
    for (const [name, client] of [['alice', alice], ['bob', bob]] as const) client.on('sessionLost', () => lost.push(name));
    const bobSees: PresenceEvent[] = [];
    bob.on('presence', (event) => bobSees.push(event));

    const commands = topologyFor(running.namespace).commandQueue;
    const stalledBefore = await stalledGauge();
    let stalledDuring = Number.NaN;
    await suspendQueue(commands, 'suspend');
    try {
      // Three timeouts without one heartbeat delivered; the gauge says so meanwhile.
      await sleep(STALL_MS);
      stalledDuring = await stalledGauge();
    } finally {
      await suspendQueue(commands, 'resume');
    }
    // What waited in the queue is handled; both are still online and served.
    const online = (await alice.users()).map((user) => user.name);
    const leftWhileStalled = linesOfKind(running.logLines(), 'LEAVE').length;
    const stalledAfter = await stalledGauge();

    // The hold ends with the stall: alice goes without a word and is timed out.
    await alice.close({ logout: false });
    const left = await waitFor(() => bobSees.find((event) => event.event === 'left'), 'bob to see alice time out after the stall', 5 * SESSION_TIMEOUT_MS);

    const differences = {
      timedOutDuringStall: leftWhileStalled,
      gaugeNotZeroBefore: stalledBefore === 0 ? 0 : 1,
      gaugeNotOneDuring: stalledDuring === 1 ? 0 : 1,
      gaugeNotZeroAfter: stalledAfter === 0 ? 0 : 1,
      sessionsLost: lost.length,
      onlineAfterStall: online.join(',') === 'alice,bob' ? 0 : 1,
      aliceNotTimedOutAfter: left.name === 'alice' && left.reason === 'timeout' ? 0 : 1,
      bobNotOnline: (await bob.users()).map((user) => user.name).join(',') === 'bob' ? 0 : 1,
    };
    expect(report('input queue stalled for three session timeouts', { stallMs: STALL_MS, sessionTimeoutMs: SESSION_TIMEOUT_MS }, differences)).toEqual(zeroes(differences));
  }, 90_000);

  it('a standby coordinator on the same store times nobody out either while the active one is stalled', async () => {
    // The first to consume is the active consumer of both queues; the second stands by, and its
    // sweep runs over the same sessions. It sends no probe (it holds no queue): it must learn of
    // the stall through the store.
    const active = await startCoordinator({ amqpUrl: broker.url, sessionTimeoutMs: SESSION_TIMEOUT_MS });
    others.push(active);
    const standby = await startCoordinator({
      amqpUrl: broker.url,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      namespace: active.namespace,
      dataDir: active.options.dataDir,
      logDir: `${active.options.logDir}-standby`,
    });
    others.push(standby);
    const carol = await active.client();
    const dave = await active.client();
    await carol.login('carol');
    await dave.login('dave');
    const lost: string[] = [];
    for (const [name, client] of [['carol', carol], ['dave', dave]] as const) client.on('sessionLost', () => lost.push(name));

    const commands = topologyFor(active.namespace).commandQueue;
    await suspendQueue(commands, 'suspend');
    try {
      await sleep(STALL_MS);
    } finally {
      await suspendQueue(commands, 'resume');
    }
    const online = (await carol.users()).map((user) => user.name);
    const leaves = [...active.logLines(), ...standby.logLines()].filter((line) => / LEAVE /.test(line)).length;
    const differences = {
      timedOutDuringStall: leaves,
      sessionsLost: lost.length,
      onlineAfterStall: online.join(',') === 'carol,dave' ? 0 : 1,
    };
    expect(report('input queue stalled, a standby coordinator on the same store', { stallMs: STALL_MS, sessionTimeoutMs: SESSION_TIMEOUT_MS }, differences)).toEqual(zeroes(differences));
  }, 90_000);
});
