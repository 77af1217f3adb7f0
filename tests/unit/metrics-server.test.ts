import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { CoordinatorMetrics, MetricsServer, createMetricsRegistry, type ReadinessCheck } from '../../server/observability/index.js';

async function withServer(readiness: ReadinessCheck[], run: (base: string, server: MetricsServer) => Promise<void>, registry: Registry = createMetricsRegistry()): Promise<void> {
  const server = await MetricsServer.start({ host: '127.0.0.1', port: 0, registry, readiness, checkTimeoutMs: 200 });
  try {
    await run(`http://127.0.0.1:${server.port}`, server);
  } finally {
    await server.close();
  }
}

const holds = (name: string, value: boolean): ReadinessCheck => ({ name, check: () => value });

describe('metrics server: /healthz, /readyz, /metrics', () => {
  it('answers /healthz with 200 whatever the readiness', async () => {
    await withServer([holds('broker', false)], async (base) => {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'alive' });
    });
  });

  it('answers /readyz with 200 and every check when all hold', async () => {
    await withServer([holds('broker', true), { name: 'store', check: async () => true }], async (base) => {
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', checks: { broker: true, store: true } });
    });
  });

  it('answers /readyz with 503 naming each failing check: false, throwing, rejecting or too slow', async () => {
    const checks: ReadinessCheck[] = [
      holds('broker', true),
      holds('store', false),
      { name: 'throws', check: () => { throw new Error('boom'); } },
      { name: 'rejects', check: () => Promise.reject(new Error('boom')) },
      { name: 'hangs', check: () => new Promise<boolean>(() => undefined) },
    ];
    await withServer(checks, async (base) => {
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { status: string; failing: string[]; checks: Record<string, boolean> };
      expect(body.status).toBe('not ready');
      expect(body.failing).toEqual(['store', 'throws', 'rejects', 'hangs']);
      expect(body.checks.broker).toBe(true);
    });
  });

  it('follows a check that changes: 503, then 200', async () => {
    let connected = false;
    await withServer([{ name: 'broker', check: () => connected }], async (base) => {
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      connected = true;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    });
  });

  it("serves the registry in Prometheus' text format, process metrics with the warren_ prefix", async () => {
    await withServer([], async (base) => {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toMatch(/^# TYPE warren_process_cpu_seconds_total counter$/m);
      expect(text).toMatch(/^warren_nodejs_eventloop_lag_seconds \d/m);
    });
  });

  it('ignores a query string', async () => {
    await withServer([], async (base) => {
      expect((await fetch(`${base}/healthz?verbose=1`)).status).toBe(200);
    });
  });

  it('answers an unknown path with 404, listing the paths', async () => {
    await withServer([], async (base) => {
      for (const path of ['/', '/metric', '/healthz/', '/metrics/x']) {
        const res = await fetch(`${base}${path}`);
        expect(res.status).toBe(404);
        expect(await res.text()).toContain('/metrics, /healthz, /readyz');
      }
    });
  });

  it('refuses methods other than GET and HEAD with 405 and an Allow header', async () => {
    await withServer([], async (base) => {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const res = await fetch(`${base}/metrics`, { method });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('GET, HEAD');
      }
      const head = await fetch(`${base}/readyz`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    });
  });

  it('rejects start on a port already taken, with the system error', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(MetricsServer.start({ host: '127.0.0.1', port, registry: new Registry(), readiness: [] })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('closes idempotently', async () => {
    const server = await MetricsServer.start({ host: '127.0.0.1', port: 0, registry: new Registry(), readiness: [] });
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });
});

describe('CoordinatorMetrics: what the hooks count shows on a scrape', () => {
  const value = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('counts accepted by kind and refused by kind and code, dead letters by code, reconnects', async () => {
    const registry = new Registry();
    const metrics = new CoordinatorMetrics(registry);
    metrics.handled('chat', undefined);
    metrics.handled('chat', undefined);
    metrics.handled('login', undefined);
    metrics.handled('chat', 'TEXT_EMPTY');
    metrics.handled(undefined, 'MALFORMED_JSON');
    metrics.deadLettered('MALFORMED_JSON');
    metrics.reconnected();
    const text = await registry.metrics();
    expect(value(text, 'warren_messages_accepted_total{kind="chat"}')).toBe(2);
    expect(value(text, 'warren_messages_accepted_total{kind="login"}')).toBe(1);
    expect(value(text, 'warren_messages_refused_total{kind="chat",code="TEXT_EMPTY"}')).toBe(1);
    expect(value(text, 'warren_messages_refused_total{kind="undecoded",code="MALFORMED_JSON"}')).toBe(1);
    expect(value(text, 'warren_dead_letters_total{code="MALFORMED_JSON"}')).toBe(1);
    expect(value(text, 'warren_broker_reconnects_total')).toBe(1);
    // A second scrape reports the same totals, not twice them.
    expect(value(await registry.metrics(), 'warren_messages_accepted_total{kind="chat"}')).toBe(2);
  });

  it('observes end-to-end latency from clientTs, skipping inputs without one and clocks ahead of ours', async () => {
    const registry = new Registry();
    const metrics = new CoordinatorMetrics(registry);
    const now = Date.parse('2026-01-01T00:00:01.000Z');
    metrics.finished('2026-01-01T00:00:00.990Z', now);
    metrics.finished('2026-01-01T00:00:00.700Z', now);
    metrics.finished(undefined, now);
    metrics.finished('2026-01-01T00:00:02.000Z', now);
    metrics.committed(0.002, 7);
    const text = await registry.metrics();
    expect(value(text, 'warren_end_to_end_latency_seconds_count')).toBe(2);
    expect(value(text, 'warren_end_to_end_latency_seconds_bucket{le="0.01"}')).toBe(1);
    expect(value(text, 'warren_end_to_end_latency_seconds_bucket{le="0.5"}')).toBe(2);
    expect(value(text, 'warren_end_to_end_latency_seconds_sum')).toBeCloseTo(0.31, 6);
    expect(value(text, 'warren_store_commit_seconds_count')).toBe(1);
    expect(value(text, 'warren_store_commit_batch_size_sum')).toBe(7);
  });

  it('reads the gauges from their sources at scrape time', async () => {
    const registry = new Registry();
    const metrics = new CoordinatorMetrics(registry);
    let online = 3;
    let stalled = 0;
    metrics.attach({ sessionsOnline: () => online, rooms: () => 2, queueDepths: async () => new Map([['chat', 5], ['dead-letter', 1]]), inputQueuesStalled: () => stalled });
    let text = await registry.metrics();
    expect(value(text, 'warren_sessions_online')).toBe(3);
    expect(value(text, 'warren_input_queues_stalled')).toBe(0);
    expect(value(text, 'warren_rooms')).toBe(2);
    expect(value(text, 'warren_queue_messages{queue="chat"}')).toBe(5);
    expect(value(text, 'warren_queue_messages{queue="dead-letter"}')).toBe(1);
    online = 4;
    stalled = 1;
    text = await registry.metrics();
    expect(value(text, 'warren_sessions_online')).toBe(4);
    expect(value(text, 'warren_input_queues_stalled')).toBe(1);
  });
});
