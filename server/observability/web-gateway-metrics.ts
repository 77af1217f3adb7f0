import { Counter, Gauge, type Registry } from 'prom-client';
import type { WebGatewayStats } from '../web/stats.js';
import { METRIC_PREFIX } from './registry.js';

type GrowingStat = 'framesIn' | 'framesOut' | 'framesRefused' | 'loginsRefused' | 'resumes' | 'resumesRefused';

const COUNTERS: readonly { stat: GrowingStat; name: string; help: string }[] = [
  { stat: 'framesIn', name: 'web_frames_in_total', help: 'WebSocket frames received from pages' },
  { stat: 'framesOut', name: 'web_frames_out_total', help: 'WebSocket frames sent to pages' },
  { stat: 'framesRefused', name: 'web_frames_refused_total', help: 'frames refused: not JSON, unknown type, bad fields, too large, too fast' },
  { stat: 'loginsRefused', name: 'web_logins_refused_total', help: 'logins from pages the coordinator refused' },
  { stat: 'resumes', name: 'web_resumes_total', help: 'pages that reconnected and resumed their session' },
  { stat: 'resumesRefused', name: 'web_resumes_refused_total', help: 'resumes refused (unknown or expired session)' },
];

/**
 * The web gateway's figures in a registry, read from its plain counters at scrape time: the
 * gateway's own paths pay nothing for them.
 */
export function registerWebGatewayMetrics(registry: Registry, stats: WebGatewayStats): void {
  new Gauge({
    name: `${METRIC_PREFIX}web_sessions_open`,
    help: 'browser sessions the gateway holds (each one WarrenClient), connected or within their resume grace',
    registers: [registry],
    collect() {
      this.set(stats.sessionsOpen);
    },
  });
  for (const { stat, name, help } of COUNTERS) {
    let reported = 0;
    new Counter({
      name: `${METRIC_PREFIX}${name}`,
      help,
      registers: [registry],
      collect() {
        const now = stats[stat];
        if (now > reported) this.inc(now - reported);
        reported = now;
      },
    });
  }
}
