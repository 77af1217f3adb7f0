import { parseServerSettings } from '../../server/config.js';
import { METRICS_SETTINGS, metricsListen, metricsSettingsFor } from '../../server/observability/settings.js';
import { ERROR_CODES, resolveSettings } from '../../shared/index.js';
import { configError } from '../support/config-error.js';

describe('metrics settings (WARREN_METRICS_HOST, WARREN_METRICS_PORT)', () => {
  it('serves on 127.0.0.1:9464 by default', () => {
    const settings = parseServerSettings([], {});
    expect(metricsListen(settings)).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  it.each(['65536', '-1', '1.5', 'x', '9464x', 'on'])('refuses WARREN_METRICS_PORT=%s, naming the variable and the value', (bad) => {
    const error = configError(() => parseServerSettings([], { WARREN_METRICS_PORT: bad }));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message.startsWith('WARREN_METRICS_PORT:')).toBe(true);
    expect(error.message).toContain(JSON.stringify(bad));
    expect(error.message).toMatch(/port 0-65535 or off/);
  });

  it.each(['http://0.0.0.0', '0.0.0.0:9464', 'a b'])('refuses WARREN_METRICS_HOST=%j', (bad) => {
    const error = configError(() => parseServerSettings([], { WARREN_METRICS_HOST: bad }));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message.startsWith('WARREN_METRICS_HOST:')).toBe(true);
  });

  it('names the flag when the flag is bad, even with a good variable', () => {
    const error = configError(() => parseServerSettings(['--metrics-port', '70000'], { WARREN_METRICS_PORT: '9000' }));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message.startsWith('--metrics-port:')).toBe(true);
  });

  it('reads a port, 0 (any free port) and off (no metrics server)', () => {
    expect(metricsListen(parseServerSettings([], { WARREN_METRICS_PORT: '9100', WARREN_METRICS_HOST: '0.0.0.0' }))).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(metricsListen(parseServerSettings(['--metrics-port', '0'], {}))).toEqual({ host: '127.0.0.1', port: 0 });
    expect(metricsListen(parseServerSettings([], { WARREN_METRICS_PORT: 'off' }))).toBeUndefined();
    expect(metricsListen(parseServerSettings([], { WARREN_METRICS_PORT: ' OFF ' }))).toBeUndefined();
  });

  it('is a table of its own that another entry point (the web gateway) can resolve, with a default port of its own', () => {
    const settings = resolveSettings(METRICS_SETTINGS, {}, { WARREN_METRICS_PORT: '9465' });
    expect(metricsListen(settings)).toEqual({ host: '127.0.0.1', port: 9465 });
    expect(metricsListen(resolveSettings(metricsSettingsFor(9470), {}, {}))).toEqual({ host: '127.0.0.1', port: 9470 });
    expect(() => resolveSettings(metricsSettingsFor(9470), {}, { WARREN_METRICS_PORT: 'x' })).toThrow(/^WARREN_METRICS_PORT: must be a port 0-65535 or off/);
  });
});
