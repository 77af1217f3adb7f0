import amqplib from 'amqplib';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { CoordinatorMetrics, MetricsServer, QueueDepths, createMetricsRegistry } from '../../server/observability/index.js';
import { ERROR_CODES, isWarrenError } from '../../shared/index.js';
import { OPEN_MODE, amqpUrl, deleteNamespace, uniqueNamespace } from '../support/broker.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { TcpProxy } from '../support/fault-kit.js';
import { RawPeer, body } from '../support/raw-peer.js';
import { waitFor } from '../support/wait.js';

/** One series' value in a scrape (undefined when the series is absent). */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * The coordinator's metrics against the real broker: a coordinator whose broker connection goes
 * through a proxy (so the test can cut it), its CoordinatorMetrics served by a MetricsServer as
 * main.ts does, clients that talk to the broker directly.
 */
describe('coordinator metrics and readiness, on the real broker', () => {
  let proxy: TcpProxy;
  let running: RunningCoordinator;
  let server: MetricsServer;
  let base: string;
  const clients: WarrenClient[] = [];
  let raw: RawPeer | undefined;

  beforeAll(async () => {
    const direct = new URL(amqpUrl());
    proxy = await TcpProxy.start(Number(direct.port || 5672));
    const proxied = new URL(amqpUrl());
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const registry = createMetricsRegistry();
    const metrics = new CoordinatorMetrics(registry);
    running = await startCoordinator({ amqpUrl: proxied.toString(), metrics });
    server = await MetricsServer.start({ host: '127.0.0.1', port: 0, registry, readiness: running.coordinator.readiness() });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await raw?.close();
    await Promise.all(clients.map((client) => client.close()));
    await running.stop();
    await server.close();
    await proxy.close();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };
  const client = async (): Promise<WarrenClient> => {
    const c = new WarrenClient({ amqpUrl: amqpUrl(), namespace: running.namespace, security: OPEN_MODE, requestTimeoutMs: 5000 });
    clients.push(c);
    await c.connect();
    return c;
  };

  it('is ready once it consumes: 200 with every check', async () => {
    const res = await waitFor(async () => {
      const r = await fetch(`${base}/readyz`);
      return r.status === 200 ? r : undefined;
    }, '/readyz to answer 200');
    expect(await res.json()).toEqual({ status: 'ready', checks: { broker: true, store: true, consuming: true } });
  });

  it('counts accepted messages by kind, refusals by kind and code, dead letters, and reads sessions and rooms', async () => {
    const alice = await client();
    const bob = await client();
    await alice.login('alice');
    await bob.login('bob');
    const before = await scrape();
    const at = (text: string, series: string): number => valueOf(text, series) ?? 0;

    for (const text of ['one', 'two', 'three']) await alice.send(text);
    await bob.send('four');
    // Refused: a name that is taken (a login, NAME_TAKEN), and bytes that are not JSON (undecoded, dead-lettered).
    const intruder = await client();
    const taken = await intruder.login('alice').then(
      () => undefined,
      (err: unknown) => (isWarrenError(err) ? err.code : String(err)),
    );
    expect(taken).toBe(ERROR_CODES.NAME_TAKEN);
    raw = await RawPeer.open(running.namespace);
    await raw.send('chat', body('not JSON at all'));
    await raw.reply((reply) => reply.body.type === 'error', 'the error reply to the malformed input');

    const after = await waitFor(async () => {
      const text = await scrape();
      return at(text, 'warren_dead_letters_total{code="MALFORMED_JSON"}') - at(before, 'warren_dead_letters_total{code="MALFORMED_JSON"}') === 1 ? text : undefined;
    }, 'the dead letter to be counted');
    const delta = (series: string): number => at(after, series) - at(before, series);
    expect(delta('warren_messages_accepted_total{kind="chat"}')).toBe(4);
    expect(delta('warren_messages_refused_total{kind="login",code="NAME_TAKEN"}')).toBe(1);
    expect(delta('warren_messages_refused_total{kind="undecoded",code="MALFORMED_JSON"}')).toBe(1);
    expect(delta('warren_messages_refused_total{kind="chat",code="MALFORMED_JSON"}')).toBe(0);
    expect(delta('warren_end_to_end_latency_seconds_count')).toBeGreaterThanOrEqual(4);
    expect(delta('warren_store_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'warren_sessions_online')).toBe(2);
    expect(valueOf(after, 'warren_rooms')).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'warren_input_queues_stalled')).toBe(0);
    // Queue depths are asked of the broker at most every few seconds: the copy shows within that.
    const depths = await waitFor(async () => {
      const text = await scrape();
      return valueOf(text, 'warren_queue_messages{queue="dead-letter"}') === 1 ? text : undefined;
    }, 'the dead-letter queue depth to read 1');
    expect(valueOf(depths, 'warren_queue_messages{queue="chat"}')).toBe(0);
    expect(valueOf(depths, 'warren_queue_messages{queue="commands"}')).toBe(0);
  });

  it('is not ready while the broker connection is cut (503 naming broker), ready again after, and counts the reconnect', async () => {
    const before = valueOf(await scrape(), 'warren_broker_reconnects_total') ?? 0;
    proxy.pause({ dropOpen: true });
    const down = await waitFor(async () => {
      const r = await fetch(`${base}/readyz`);
      return r.status === 503 ? ((await r.json()) as { failing: string[] }) : undefined;
    }, '/readyz to answer 503 with the connection cut');
    expect(down.failing).toContain('broker');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    proxy.resume();
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, '/readyz to answer 200 again', 30_000);
    expect((valueOf(await scrape(), 'warren_broker_reconnects_total') ?? 0) - before).toBe(1);
  });

  it('is not ready once the coordinator stopped: broker, store and consuming all fail', async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await running.coordinator.stop();
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'not ready', failing: ['broker', 'store', 'consuming'] });
  });
});

describe('QueueDepths: passive declares on a throwaway channel, cached', () => {
  it('reports depths, serves the cached answer within the interval, asks again after it, and leaves out a queue that is gone', async () => {
    const namespace = uniqueNamespace('depths');
    const connection = await amqplib.connect(amqpUrl());
    const queue = `${namespace}.probe`;
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(queue, { durable: false, autoDelete: false });
      const publish = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i += 1) channel.sendToQueue(queue, Buffer.from(String(i)));
        await channel.waitForConfirms();
      };
      await publish(2);
      let opened = 0;
      const depths = new QueueDepths({
        queues: { probe: queue, missing: `${namespace}.never-declared`, after: queue },
        openChannel: async () => {
          opened += 1;
          return connection.createChannel();
        },
        minIntervalMs: 5000,
      });
      const t0 = Date.now();
      expect(Object.fromEntries(await depths.current(t0))).toEqual({ probe: 2, after: 2 });
      await publish(1);
      expect(Object.fromEntries(await depths.current(t0 + 4999))).toEqual({ probe: 2, after: 2 });
      expect(Object.fromEntries(await depths.current(t0 + 5000))).toEqual({ probe: 3, after: 3 });
      // The missing queue's 404 closed the first channel; the queue after it was asked on a fresh one.
      expect(opened).toBe(4);
      await channel.deleteQueue(queue);
      await channel.close();
    } finally {
      await connection.close();
      await deleteNamespace(namespace).catch(() => undefined);
    }
  });
});
