import { linkOptions, linkSecurity } from '../../client/link-settings.js';
import { WEB_SETTINGS, parseWebSettings } from '../../server/web/config.js';
import { ERROR_CODES } from '../../shared/index.js';
import { configError } from '../support/config-error.js';

describe('web gateway settings', () => {
  it.each([
    [{ WARREN_WEB_PORT: '0' }, 'WARREN_WEB_PORT', 'must be at least 1'],
    [{ WARREN_WEB_PORT: '65536' }, 'WARREN_WEB_PORT', 'must be at most 65535'],
    [{ WARREN_WEB_PORT: '80x' }, 'WARREN_WEB_PORT', 'must be a whole number'],
    [{ WARREN_WEB_PORT: '-1' }, 'WARREN_WEB_PORT', 'must be a whole number'],
    [{ WARREN_WEB_HOST: 'a host' }, 'WARREN_WEB_HOST', 'must be a host name or an IP address'],
    [{ WARREN_WEB_MAX_SESSIONS: '0' }, 'WARREN_WEB_MAX_SESSIONS', 'must be at least 1'],
    [{ WARREN_WEB_MAX_SESSIONS: '100001' }, 'WARREN_WEB_MAX_SESSIONS', 'must be at most 100000'],
    [{ WARREN_WEB_RESUME_GRACE: '0' }, 'WARREN_WEB_RESUME_GRACE', 'must be at least 1'],
    [{ WARREN_WEB_RESUME_GRACE: '3601' }, 'WARREN_WEB_RESUME_GRACE', 'must be at most 3600'],
    [{ WARREN_WEB_REPLAY_FRAMES: '9' }, 'WARREN_WEB_REPLAY_FRAMES', 'must be at least 10'],
    [{ WARREN_WEB_ALLOWED_ORIGINS: 'chat.example.org' }, 'WARREN_WEB_ALLOWED_ORIGINS', 'comma-separated list of origins'],
    [{ WARREN_WEB_ALLOWED_ORIGINS: 'https://a.example,javascript:alert(1)' }, 'WARREN_WEB_ALLOWED_ORIGINS', 'comma-separated list of origins'],
    [{ WARREN_WEB_ALLOWED_ORIGINS: 'https://a.example/path' }, 'WARREN_WEB_ALLOWED_ORIGINS', 'comma-separated list of origins'],
    [{ AMQP_URL: 'http://broker' }, 'AMQP_URL', 'amqp://'],
    [{ WARREN_NAMESPACE: 'Bad Name' }, 'WARREN_NAMESPACE', 'lowercase letters'],
    [{ WARREN_COORDINATOR_USER: 'guest' }, 'WARREN_COORDINATOR_USER', 'must not be guest'],
    [{ WARREN_INSECURE_OPEN_BROKER: 'perhaps' }, 'WARREN_INSECURE_OPEN_BROKER', 'must be one of'],
    [{ WARREN_AMQP_NODE_ORDER: 'random' }, 'WARREN_AMQP_NODE_ORDER', 'must be spread or listed'],
  ])('refuses %j, naming the variable and the reason', (env, named, reason) => {
    const error = configError(() => parseWebSettings([], env));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message.startsWith(`${named}:`)).toBe(true);
    expect(error.message).toContain(reason);
  });

  it('refuses a bad flag value, naming the flag', () => {
    const error = configError(() => parseWebSettings(['--port', '99999'], {}));
    expect(error.message.startsWith('--port:')).toBe(true);
  });

  it('has defaults that listen on loopback only, in secure mode', () => {
    const settings = parseWebSettings([], {});
    expect(settings.host).toBe('127.0.0.1');
    expect(settings.port).toBe(WEB_SETTINGS.port.default);
    expect(settings.allowedOrigins).toEqual([]);
    expect(linkSecurity(settings)).toEqual({ mode: 'secure', coordinatorUser: 'warren-coordinator' });
  });

  it('reads a list of origins, and the flag wins over the variable', () => {
    expect(parseWebSettings([], { WARREN_WEB_ALLOWED_ORIGINS: 'https://chat.example.org, http://127.0.0.1:9000' }).allowedOrigins).toEqual([
      'https://chat.example.org',
      'http://127.0.0.1:9000',
    ]);
    expect(parseWebSettings(['--port', '9001'], { WARREN_WEB_PORT: '9000' }).port).toBe(9001);
    expect(linkSecurity(parseWebSettings([], { WARREN_INSECURE_OPEN_BROKER: '1' }))).toEqual({ mode: 'open' });
  });

  it("spreads each browser session's broker connection over the nodes unless told otherwise", () => {
    const settings = parseWebSettings([], { AMQP_URL: 'amqp://a:5701,amqp://b:5702', WARREN_REQUEST_TIMEOUT: '4', WARREN_AMQP_HEARTBEAT: '3' });
    expect(settings.amqpNodeOrder).toBe('spread');
    expect(linkOptions(settings)).toEqual({
      amqpUrl: 'amqp://a:5701,amqp://b:5702',
      namespace: 'warren',
      security: { mode: 'secure', coordinatorUser: 'warren-coordinator' },
      requestTimeoutMs: 4000,
      heartbeatSeconds: 3,
      nodeOrder: 'spread',
    });
    expect(linkOptions(parseWebSettings(['--amqp-node-order', 'listed'], {})).nodeOrder).toBe('listed');
  });
});
