import { z } from 'zod';
import { setting, type SettingsOf } from '../../shared/index.js';

/** A host name or address to listen on: no scheme, port or white space. */
export const listenHostSchema = z.string().regex(/^[A-Za-z0-9._-]{1,253}$|^[0-9A-Fa-f:]{2,39}$/, 'must be a host name or an IP address');

export const DEFAULT_METRICS_PORT = 9464;

/** A port, 0 (any free port, which the program logs) or `off` (no metrics server, no metrics kept). */
const metricsPort: z.ZodType<number | 'off', unknown> = z.unknown().transform((value, ctx) => {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65_535) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.toLowerCase() === 'off') return 'off' as const;
    if (/^\d{1,5}$/.test(text) && Number(text) <= 65_535) return Number(text);
  }
  ctx.addIssue({ code: 'custom', message: 'must be a port 0-65535 or off' });
  return z.NEVER;
});

/**
 * The metrics and health endpoint's settings (server/observability/metrics-server.ts), with the
 * port a program listens on by default: spread into its settings table. Two programs on one host
 * (the coordinator, the web gateway) need different defaults.
 */
export function metricsSettingsFor(defaultPort: number) {
  return {
    metricsHost: setting({
      env: 'WARREN_METRICS_HOST',
      flag: 'metrics-host',
      description: 'address the metrics and health endpoint (/metrics, /healthz, /readyz) listens on (0.0.0.0 inside a compose network)',
      default: '127.0.0.1',
      schema: listenHostSchema,
    }),
    metricsPort: setting<number | 'off'>({
      env: 'WARREN_METRICS_PORT',
      flag: 'metrics-port',
      description: 'port of the metrics and health endpoint; 0: any free port (logged), off: no endpoint and no metrics kept',
      default: defaultPort,
      schema: metricsPort,
    }),
  };
}

/** The coordinator's (server/config.ts). */
export const METRICS_SETTINGS = metricsSettingsFor(DEFAULT_METRICS_PORT);

export type MetricsSettings = SettingsOf<typeof METRICS_SETTINGS>;

/** Where to serve metrics, or undefined when they are off. */
export function metricsListen(settings: MetricsSettings): { host: string; port: number } | undefined {
  return settings.metricsPort === 'off' ? undefined : { host: settings.metricsHost, port: settings.metricsPort };
}
