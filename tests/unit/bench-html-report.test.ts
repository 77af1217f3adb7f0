import { htmlPathFor, renderHtmlReport } from '../../bench/html-report.js';
import { benchResultSchema, type BenchResult } from '../../bench/result.js';
import { percentiles } from '../../bench/stats.js';
import { escapeXml, linearTicks, logTicks } from '../../bench/svg-chart.js';

const summary = { count: 10, p50: 2, p99: 9, max: 12, mean: 3 };
const usage = { wallMs: 1000, cpuMs: 500, cpuPercent: 50, rssMb: 80, peakRssMb: 90 };

function phase(system: 'ceiling' | 'batched' | 'warren', name: string, cdf: number[], acceptedPerSec: number): Record<string, unknown> {
  return {
    system,
    phase: name,
    targetRate: name === 'throughput' ? null : 500,
    sent: 100,
    accepted: 100,
    delivered: 300,
    expectedDeliveries: 300,
    missing: 0,
    duplicates: 0,
    errors: 0,
    firstError: null,
    durationMs: 1000,
    sendRatePerSec: 100,
    acceptedPerSec,
    deliveriesPerSec: acceptedPerSec * 3,
    latencyMs: summary,
    latencyCdfMs: cdf,
    inboundMs: summary,
    outboundMs: summary,
    server: { ...usage, cpuMsPerMessage: 0.5 },
    clientsCpuMsPerMessage: 0.2,
    brokerCpuMsPerMessage: null,
  };
}

const ramp = (from: number, to: number): number[] => Array.from({ length: 101 }, (_, q) => from + ((to - from) * q) / 100);
const TIMELINE = [
  { s: 0, joined: 0, rssMb: 60, cpuPercent: 0 },
  { s: 0.25, joined: 20, rssMb: 70, cpuPercent: 80 },
  { s: 0.5, joined: 50, rssMb: 75, cpuPercent: 60 },
  { s: 0.75, joined: 50, rssMb: 75, cpuPercent: 5 },
];

/** A small result, through the schema as main.ts writes it; `hostile` text in the fields a run copies from outside. */
function syntheticResult(hostile = 'plain'): BenchResult {
  const phases = ['throughput', 'rate-500'].map((name, i) => {
    const ceiling = phase('ceiling', name, ramp(1, 5 + i), 1000);
    const batched = phase('batched', name, ramp(1, 3 + i), 2000);
    const warren = phase('warren', name, ramp(2, 9 + i), 800);
    const ratio = { acceptedPerSec: 0.8, deliveriesPerSec: 0.8, latencyP50: 1, latencyP99: 1, latencyMax: 1, cpuMsPerMessage: 1 };
    return { name, ceiling, batched, warren, ratio, ratioToBatched: ratio, rounds: { ceiling: [ceiling], batched: [batched], warren: [warren] } };
  });
  return benchResultSchema.parse({
    schema: 'warren-bench/1',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    durationS: 60,
    command: `node dist/bench/main.js --n 100 ${hostile}`,
    machine: { nproc: 2, cpuModel: hostile, memTotalMb: 4096, loadAverageStart: [0.1, 0.2, 0.3], loadAverageEnd: [1, 1, 1], node: 'v20.0.0', platform: 'linux x64', broker: 'RabbitMQ 3.13' },
    options: {},
    messaging: { participants: 3, messages: 100, size: 32, window: 10, rounds: 1, noDelay: true, ceilingQueue: 'quorum', coordinatorStartMs: 300, phases },
    scale: {
      requested: 50,
      joined: 50,
      failed: 0,
      stalled: false,
      releasedAfterStall: 0,
      firstError: null,
      joinConcurrency: 10,
      allJoinedMs: 500,
      joinMs: summary,
      connectMs: summary,
      loginMs: summary,
      joinCpuMs: { clients: 100, broker: null },
      coordinator: { startMs: 300, rssBeforeMb: 60, rssAfterJoinMb: 75, highestRssMb: 76, joinCpu: usage, idleCpu: usage },
      broadcast: { expected: 50, reached: 50, allReachedMs: 30, reachMs: summary },
      users: { listed: 50, samplesMs: [1, 2], medianMs: 1, maxMs: 2 },
      sessionsLost: 0,
      benchRssMb: 100,
      timeline: TIMELINE,
    },
    startup: null,
    targets: [{ id: 'throughput', description: `ratio ${hostile}`, target: '≥ 0.8', value: '0.800', met: true }],
    profile: null,
    errors: [{ section: 'startup', message: `failed: ${hostile}` }],
  });
}

/** The `d` of each `<path class="series" data-series="NAME" d="...">`. */
function seriesPaths(html: string): { name: string; d: string }[] {
  return [...html.matchAll(/<path class="series" data-series="([^"]*)" d="([^"]*)"/g)].map((m) => ({ name: m[1] ?? '', d: m[2] ?? '' }));
}

describe('benchmark HTML report', () => {
  it('draws the latency distribution of warren and of both relays for each phase, every percentile a point', () => {
    const html = renderHtmlReport(syntheticResult());
    const paths = seriesPaths(html);
    const latency = paths.filter((p) => /^(ceiling|batched relay|warren) \(p99/.test(p.name));
    expect(latency.map((p) => p.name.split(' (')[0])).toEqual(['ceiling', 'batched relay', 'warren', 'ceiling', 'batched relay', 'warren']);
    for (const path of latency) expect(path.d.match(/[ML]/g)).toHaveLength(101);
    expect(html).toContain('latency distribution: throughput');
    expect(html).toContain('latency distribution: rate-500');
  });

  it('draws throughput bars for the three systems and every phase, and the scale phase over time', () => {
    const html = renderHtmlReport(syntheticResult());
    const bars = [...html.matchAll(/<rect class="bar" data-series="([^"]*)"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[2]);
    expect(bars).toEqual(
      expect.arrayContaining(['ceiling, throughput: 1000', 'batched relay, throughput: 2000', 'warren, throughput: 800', 'ceiling, rate-500: 1000', 'warren, rate-500: 800', 'warren, rate-500: 2400']),
    );
    expect(bars).toHaveLength(12);
    const timeline = seriesPaths(html).filter((p) => ['joined', 'coordinator RSS', 'coordinator CPU'].includes(p.name));
    expect(timeline.map((p) => p.name)).toEqual(['joined', 'coordinator RSS', 'coordinator CPU']);
    for (const path of timeline) expect(path.d.match(/[ML]/g)).toHaveLength(TIMELINE.length);
    expect(html).toContain('clients joined over time (50/50)');
  });

  it('is self-contained: no script, no stylesheet or image fetched, every svg closed', () => {
    const html = renderHtmlReport(syntheticResult());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=|\bhref=/i);
    // The only URL is the SVG namespace, which names rather than fetches.
    expect([...html.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0]).every((url) => url === 'http://www.w3.org/2000/svg')).toBe(true);
    expect((html.match(/<svg /g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length);
  });

  it('escapes every piece of text it copies from the run', () => {
    const hostile = '<script>alert("x")</script> & \'q\'';
    const html = renderHtmlReport(syntheticResult(hostile));
    expect(html).not.toContain('<script>');
    expect(html).toContain(escapeXml(hostile));
    expect(escapeXml(hostile)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
  });

  it('renders a result written before the distributions and the timeline were recorded', () => {
    const old = syntheticResult();
    for (const p of old.messaging?.phases ?? []) {
      p.ceiling.latencyCdfMs = [];
      p.batched.latencyCdfMs = [];
      p.warren.latencyCdfMs = [];
    }
    if (old.scale) old.scale.timeline = [];
    const html = renderHtmlReport(old);
    expect(seriesPaths(html)).toHaveLength(0);
    expect(html).toContain('no data');
    expect(html).toContain('has no timeline');
  });

  it('is written beside the JSON, under the same name', () => {
    expect(htmlPathFor('/r/2026-01-01T00-00-00-000Z.json')).toBe('/r/2026-01-01T00-00-00-000Z.html');
    expect(htmlPathFor('/r/out')).toBe('/r/out.html');
  });
});

describe('report figures and axes', () => {
  it('takes percentiles 0…100 by nearest rank, 0 being the minimum', () => {
    const samples = Array.from({ length: 200 }, (_, i) => 200 - i);
    const cdf = percentiles(samples);
    expect(cdf).toHaveLength(101);
    expect([cdf[0], cdf[1], cdf[50], cdf[99], cdf[100]]).toEqual([1, 2, 100, 198, 200]);
    expect(percentiles([])).toEqual([]);
  });

  it('puts round ticks on the axes', () => {
    expect(linearTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(linearTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(logTicks(0.5, 30)).toEqual([0.1, 1, 10, 100]);
    expect(logTicks(2, 30)).toEqual([1, 2, 5, 10, 20, 50, 100]);
  });
});
