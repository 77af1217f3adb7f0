import { CLIENT_SETTINGS, clientOptions, parseClientSettings } from '../../client/config.js';
import { linkSecurity } from '../../client/link-settings.js';
import { ERROR_CODES } from '../../shared/index.js';
import { configError } from '../support/config-error.js';

describe('client settings: broker identity', () => {
  it.each([
    [{ WARREN_INSECURE_OPEN_BROKER: 'perhaps' }, 'WARREN_INSECURE_OPEN_BROKER'],
    [{ WARREN_COORDINATOR_USER: 'guest' }, 'WARREN_COORDINATOR_USER'],
    [{ WARREN_COORDINATOR_USER: 'c-AAAAAAAAAAAAAAAAAAAAAA' }, 'WARREN_COORDINATOR_USER'],
    [{ WARREN_COORDINATOR_USER: 'has space' }, 'WARREN_COORDINATOR_USER'],
    [{ WARREN_COORDINATOR_USER: `a${'b'.repeat(64)}` }, 'WARREN_COORDINATOR_USER'],
    [{ WARREN_AMQP_NO_DELAY: 'maybe' }, 'WARREN_AMQP_NO_DELAY'],
    [{ WARREN_AMQP_HEARTBEAT: '-1' }, 'WARREN_AMQP_HEARTBEAT'],
    [{ WARREN_AMQP_HEARTBEAT: '2.5' }, 'WARREN_AMQP_HEARTBEAT'],
    [{ WARREN_AMQP_HEARTBEAT: '601' }, 'WARREN_AMQP_HEARTBEAT'],
    [{ AMQP_URL: 'amqp://a:5701,amqp://b:5702,' }, 'AMQP_URL'],
    [{ WARREN_AMQP_NODE_ORDER: 'random' }, 'WARREN_AMQP_NODE_ORDER'],
  ])('refuses %j, naming %s', (env, named) => {
    const error = configError(() => parseClientSettings([], env));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message.startsWith(`${named}:`)).toBe(true);
  });

  it('beats every 5 s unless told otherwise (the flag wins)', () => {
    expect(parseClientSettings([], {}).amqpHeartbeat).toBe(5);
    expect(parseClientSettings([], { WARREN_AMQP_HEARTBEAT: '2' }).amqpHeartbeat).toBe(2);
    expect(parseClientSettings(['--amqp-heartbeat', '10'], { WARREN_AMQP_HEARTBEAT: '2' }).amqpHeartbeat).toBe(10);
  });

  it('refuses a node order other than spread or listed, naming both', () => {
    for (const bad of ['random', 'Spread', ' listed', 'first']) {
      const error = configError(() => parseClientSettings([], { WARREN_AMQP_NODE_ORDER: bad }));
      expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
      expect(error.message).toBe(`WARREN_AMQP_NODE_ORDER: must be spread or listed (got ${JSON.stringify(bad)})`);
    }
    expect(configError(() => parseClientSettings(['--amqp-node-order', 'round-robin'], { WARREN_AMQP_NODE_ORDER: 'listed' })).message).toMatch(/^--amqp-node-order: must be spread or listed/);
  });

  it('spreads over the nodes of the list unless told otherwise (the flag wins)', () => {
    expect(parseClientSettings([], {}).amqpNodeOrder).toBe('spread');
    expect(parseClientSettings([], { WARREN_AMQP_NODE_ORDER: 'listed' }).amqpNodeOrder).toBe('listed');
    expect(parseClientSettings(['--amqp-node-order', 'spread'], { WARREN_AMQP_NODE_ORDER: 'listed' }).amqpNodeOrder).toBe('spread');
  });

  it('hands the broker settings to the client library as the chat and the script mode use them', () => {
    const options = clientOptions(parseClientSettings([], { AMQP_URL: 'amqp://a:5701,amqp://b:5702', WARREN_AMQP_NODE_ORDER: 'listed', WARREN_AMQP_HEARTBEAT: '2', WARREN_AMQP_NO_DELAY: 'no', WARREN_REQUEST_TIMEOUT: '3' }));
    expect(options).toEqual({
      amqpUrl: 'amqp://a:5701,amqp://b:5702',
      namespace: 'warren',
      security: { mode: 'secure', coordinatorUser: 'warren-coordinator' },
      requestTimeoutMs: 3000,
      noDelay: false,
      heartbeatSeconds: 2,
      nodeOrder: 'listed',
    });
    expect(clientOptions(parseClientSettings([], {})).nodeOrder).toBe('spread');
  });

  it("turns Nagle's algorithm off on the broker socket unless told otherwise (the flag wins)", () => {
    expect(parseClientSettings([], {}).amqpNoDelay).toBe(true);
    expect(parseClientSettings([], { WARREN_AMQP_NO_DELAY: 'no' }).amqpNoDelay).toBe(false);
    expect(parseClientSettings(['--amqp-no-delay', 'yes'], { WARREN_AMQP_NO_DELAY: 'no' }).amqpNoDelay).toBe(true);
    expect(configError(() => parseClientSettings(['--amqp-no-delay', 'perhaps'], {})).message).toMatch(/^--amqp-no-delay:/);
  });

  it('is secure by default and trusts only warren-coordinator', () => {
    const settings = parseClientSettings([], {});
    expect(settings.insecureOpenBroker).toBe(false);
    expect(linkSecurity(settings)).toEqual({ mode: 'secure', coordinatorUser: 'warren-coordinator' });
  });

  it('takes the coordinator user from its variable or flag (the flag wins)', () => {
    expect(linkSecurity(parseClientSettings([], { WARREN_COORDINATOR_USER: 'hub' }))).toEqual({ mode: 'secure', coordinatorUser: 'hub' });
    expect(linkSecurity(parseClientSettings(['--coordinator-user', 'hub2'], { WARREN_COORDINATOR_USER: 'hub' }))).toEqual({ mode: 'secure', coordinatorUser: 'hub2' });
  });

  it('selects open mode only by its named variable or flag', () => {
    expect(linkSecurity(parseClientSettings([], { WARREN_INSECURE_OPEN_BROKER: 'yes' }))).toEqual({ mode: 'open' });
    expect(linkSecurity(parseClientSettings(['--insecure-open-broker'], {}))).toEqual({ mode: 'open' });
    expect(CLIENT_SETTINGS.insecureOpenBroker.description).toMatch(/anyone on that broker can read and forge everything/);
  });
});
