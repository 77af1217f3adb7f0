import { Registry } from 'prom-client';
import { registerWebGatewayMetrics } from '../../server/observability/web-gateway-metrics.js';
import type { WebGatewayStats } from '../../server/web/stats.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function stats(): Mutable<WebGatewayStats> {
  return { sessionsOpen: 0, framesIn: 0, framesOut: 0, framesRefused: 0, loginsRefused: 0, resumes: 0, resumesRefused: 0, isReady: () => Promise.resolve(true) };
}

const value = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('the web gateway in the metrics registry', () => {
  it('reads the gateway’s counters at scrape time: sessions as a gauge, the rest as counters that only grow', async () => {
    const registry = new Registry();
    const gateway = stats();
    registerWebGatewayMetrics(registry, gateway);
    expect(value(await registry.metrics(), 'warren_web_sessions_open')).toBe(0);

    Object.assign(gateway, { sessionsOpen: 2, framesIn: 10, framesOut: 25, framesRefused: 1, loginsRefused: 1, resumes: 3, resumesRefused: 1 });
    let text = await registry.metrics();
    expect(value(text, 'warren_web_sessions_open')).toBe(2);
    expect(value(text, 'warren_web_frames_in_total')).toBe(10);
    expect(value(text, 'warren_web_frames_out_total')).toBe(25);
    expect(value(text, 'warren_web_frames_refused_total')).toBe(1);
    expect(value(text, 'warren_web_logins_refused_total')).toBe(1);
    expect(value(text, 'warren_web_resumes_total')).toBe(3);
    expect(value(text, 'warren_web_resumes_refused_total')).toBe(1);

    Object.assign(gateway, { sessionsOpen: 1, framesIn: 14 });
    text = await registry.metrics();
    expect(value(text, 'warren_web_sessions_open')).toBe(1);
    // Scraped twice: counted once, never added up twice.
    expect(value(text, 'warren_web_frames_in_total')).toBe(14);
    expect(value(text, 'warren_web_resumes_total')).toBe(3);
  });
});
