import { COMMIT_WINDOW_DEFAULT_MS, SERVER_SETTINGS, coordinatorOptions, parseServerSettings } from '../../server/config.js';
import { ERROR_CODES } from '../../shared/index.js';
import { configError } from '../support/config-error.js';

/** One value each setting must refuse, and one just inside its range. */
const BOUNDS: { key: keyof typeof SERVER_SETTINGS; bad: string; good: string; expected: unknown }[] = [
  { key: 'amqpUrl', bad: 'localhost:5672', good: 'amqps://user:pw@broker:5671/vhost', expected: 'amqps://user:pw@broker:5671/vhost' },
  { key: 'namespace', bad: 'Warren', good: 'team-2_chat', expected: 'team-2_chat' },
  { key: 'sessionTimeout', bad: '3601', good: '3600', expected: 3600 },
  { key: 'historySize', bad: '501', good: '0', expected: 0 },
  { key: 'minUsers', bad: '0', good: '2', expected: 2 },
  { key: 'prefetch', bad: '1.5', good: '1', expected: 1 },
  { key: 'commitWindow', bad: '101', good: '0', expected: 0 },
  { key: 'commitWindow', bad: '-1', good: '100', expected: 100 },
  { key: 'authorityHost', bad: 'http://0.0.0.0', good: '0.0.0.0', expected: '0.0.0.0' },
  { key: 'authorityPort', bad: '65536', good: '1', expected: 1 },
  { key: 'authorityAllowFrom', bad: 'rabbitmq,', good: 'rabbitmq', expected: 'rabbitmq' },
  { key: 'authorityMaxUnboundPerAddress', bad: '0', good: '1', expected: 1 },
  { key: 'coordinatorUser', bad: 'guest', good: 'chat-hub', expected: 'chat-hub' },
  { key: 'coordinatorUser', bad: 'c-AAAAAAAAAAAAAAAAAAAAAA', good: 'warren.coordinator', expected: 'warren.coordinator' },
  { key: 'brokerAdminPassword', bad: 'short', good: 'correct-horse-battery', expected: 'correct-horse-battery' },
  { key: 'managementUrl', bad: 'http://admin:pw@rabbitmq:15672', good: 'http://rabbitmq:15672', expected: 'http://rabbitmq:15672' },
  { key: 'managementUrl', bad: 'rabbitmq:15672', good: 'https://broker.example/', expected: 'https://broker.example/' },
  { key: 'amqpNodeOrder', bad: 'random', good: 'listed', expected: 'listed' },
  { key: 'amqpNoDelay', bad: 'maybe', good: 'false', expected: false },
  { key: 'amqpNoDelay', bad: '2', good: 'on', expected: true },
  { key: 'storeUrl', bad: 'mysql://db/warren', good: 'postgres://warren:pw@db:5432/chat', expected: 'postgres://warren:pw@db:5432/chat' },
  { key: 'storeUrl', bad: 'postgres://', good: 'postgresql://db/chat?sslmode=require', expected: 'postgresql://db/chat?sslmode=require' },
  { key: 'storeUrl', bad: 'postgres:///chat', good: 'postgres://127.0.0.1/test', expected: 'postgres://127.0.0.1/test' },
  { key: 'storeSchema', bad: 'Warren; DROP', good: 'chat_2', expected: 'chat_2' },
];

describe('coordinator settings: every variable and flag is validated', () => {
  it.each(BOUNDS)('refuses $key=$bad from its variable, naming the variable', ({ key, bad }) => {
    const variable = SERVER_SETTINGS[key].env ?? '';
    const error = configError(() => parseServerSettings([], { [variable]: bad }));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message.startsWith(`${variable}:`)).toBe(true);
    expect(error.message).toContain(JSON.stringify(bad));
  });

  it.each(BOUNDS)('refuses $key=$bad from its flag, naming the flag even when the variable is fine', ({ key, bad, good }) => {
    const { env, flag } = SERVER_SETTINGS[key];
    const error = configError(() => parseServerSettings([`--${flag}`, bad], { [env ?? '']: good }));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message.startsWith(`--${flag}:`)).toBe(true);
  });

  it.each(BOUNDS)('accepts $key=$good', ({ key, good, expected }) => {
    const variable = SERVER_SETTINGS[key].env ?? '';
    expect(parseServerSettings([], { [variable]: good })[key]).toEqual(expected);
  });

  it('keeps the store in SQLite unless WARREN_STORE_URL names a PostgreSQL, in schema warren by default', () => {
    expect(coordinatorOptions(parseServerSettings([], {})).postgres).toBeUndefined();
    expect(coordinatorOptions(parseServerSettings(['--store-url', 'postgres://db/chat'], {})).postgres).toEqual({ url: 'postgres://db/chat', schema: 'warren' });
    expect(coordinatorOptions(parseServerSettings([], { WARREN_STORE_URL: 'postgres://db/chat', WARREN_STORE_SCHEMA: 'team' })).postgres).toEqual({
      url: 'postgres://db/chat',
      schema: 'team',
    });
  });

  it('refuses an empty directory given as a flag', () => {
    expect(configError(() => parseServerSettings(['--data-dir', ''], {})).message).toMatch(/^--data-dir:/);
  });

  it('hands the coordinator milliseconds and its own names for the settings', () => {
    const options = coordinatorOptions(
      parseServerSettings(['--history-size', '5'], {
        AMQP_URL: 'amqp://u:p@rabbit:5672',
        WARREN_NAMESPACE: 'ns1',
        WARREN_DATA_DIR: '/var/lib/warren',
        WARREN_LOG_DIR: '/var/log/warren',
        WARREN_SESSION_TIMEOUT: '7',
        MIN_USERS: '3',
        WARREN_PREFETCH: '50',
      }),
    );
    expect(options).toMatchObject({
      amqpUrl: 'amqp://u:p@rabbit:5672',
      namespace: 'ns1',
      dataDir: '/var/lib/warren',
      logDir: '/var/log/warren',
      sessionTimeoutMs: 7000,
      historyOnJoin: 5,
      minUsers: 3,
      prefetch: 50,
    });
  });

  it('hands the group commit window to the coordinator in ms, by default the one named by COMMIT_WINDOW_DEFAULT_MS', () => {
    expect(coordinatorOptions(parseServerSettings([], {})).commitWindowMs).toBe(COMMIT_WINDOW_DEFAULT_MS);
    expect(coordinatorOptions(parseServerSettings([], { WARREN_COMMIT_WINDOW_MS: '3' })).commitWindowMs).toBe(3);
    expect(coordinatorOptions(parseServerSettings(['--commit-window-ms', '1'], { WARREN_COMMIT_WINDOW_MS: '3' })).commitWindowMs).toBe(1);
  });

  it('refuses a heartbeat that is not a whole number of seconds up to 600', () => {
    for (const bad of ['-1', '1.5', 'soon', '601']) expect(configError(() => parseServerSettings([], { WARREN_AMQP_HEARTBEAT: bad })).message).toMatch(/^WARREN_AMQP_HEARTBEAT:/);
  });

  it('passes the heartbeat to the coordinator, 5 s unless told otherwise', () => {
    expect(coordinatorOptions(parseServerSettings([], {})).amqpHeartbeatSeconds).toBe(5);
    expect(coordinatorOptions(parseServerSettings([], { WARREN_AMQP_HEARTBEAT: '2' })).amqpHeartbeatSeconds).toBe(2);
  });

  it('refuses a node order other than spread or listed, naming both', () => {
    expect(configError(() => parseServerSettings([], { WARREN_AMQP_NODE_ORDER: 'random' })).message).toBe('WARREN_AMQP_NODE_ORDER: must be spread or listed (got "random")');
  });

  it('passes the node order to the coordinator: spread over the list unless told otherwise', () => {
    expect(coordinatorOptions(parseServerSettings([], {})).amqpNodeOrder).toBe('spread');
    expect(coordinatorOptions(parseServerSettings([], { WARREN_AMQP_NODE_ORDER: 'listed' })).amqpNodeOrder).toBe('listed');
    expect(coordinatorOptions(parseServerSettings(['--amqp-node-order', 'spread'], { WARREN_AMQP_NODE_ORDER: 'listed' })).amqpNodeOrder).toBe('spread');
  });

  it("turns Nagle's algorithm off on the broker socket unless told otherwise", () => {
    expect(coordinatorOptions(parseServerSettings([], {})).amqpNoDelay).toBe(true);
    expect(coordinatorOptions(parseServerSettings([], { WARREN_AMQP_NO_DELAY: 'false' })).amqpNoDelay).toBe(false);
    expect(coordinatorOptions(parseServerSettings(['--amqp-no-delay', 'true'], { WARREN_AMQP_NO_DELAY: 'false' })).amqpNoDelay).toBe(true);
  });

  it('is secure by default: the coordinator starts its authority on 127.0.0.1:15680 as warren-coordinator', () => {
    const options = coordinatorOptions(parseServerSettings([], {}));
    expect(options.security).toEqual({ mode: 'secure', authorityHost: '127.0.0.1', authorityPort: 15680, coordinatorUser: 'warren-coordinator', legacyGuest: false, authorityAllowFrom: ['loopback'], maxUnboundPerAddress: 50 });
  });

  it('selects open mode only by its explicitly named variable or flag', () => {
    expect(coordinatorOptions(parseServerSettings([], { WARREN_INSECURE_OPEN_BROKER: '1' })).security).toEqual({ mode: 'open' });
    expect(coordinatorOptions(parseServerSettings(['--insecure-open-broker'], {})).security).toEqual({ mode: 'open' });
    expect(configError(() => parseServerSettings([], { WARREN_INSECURE_OPEN_BROKER: 'maybe' })).message).toMatch(/^WARREN_INSECURE_OPEN_BROKER:/);
  });

  it('passes the admin password, the management URL and legacy (guest on the legacy names) to the authority', () => {
    const options = coordinatorOptions(
      parseServerSettings(['--legacy'], { WARREN_BROKER_ADMIN_PASSWORD: 'correct-horse-battery', WARREN_MANAGEMENT_URL: 'http://rabbitmq:15672', WARREN_AUTHORITY_HOST: '0.0.0.0' }),
    );
    expect(options.security).toEqual({
      mode: 'secure',
      authorityHost: '0.0.0.0',
      authorityPort: 15680,
      coordinatorUser: 'warren-coordinator',
      legacyGuest: true,
      adminPassword: 'correct-horse-battery',
      managementUrl: 'http://rabbitmq:15672',
      authorityAllowFrom: ['loopback'],
      maxUnboundPerAddress: 50,
    });
  });

  it('refuses a bad allow list or per-address cap for the authority, and reads good ones', () => {
    for (const bad of [' , ', 'rabbitmq,', 'a b', 'rabbit;mq', 'http://rabbitmq']) {
      expect(configError(() => parseServerSettings([], { WARREN_AUTHORITY_ALLOW_FROM: bad })).message).toMatch(/^WARREN_AUTHORITY_ALLOW_FROM:/);
    }
    for (const bad of ['0', '-1', 'x', '1.5']) {
      expect(configError(() => parseServerSettings([], { WARREN_AUTHORITY_MAX_UNBOUND_PER_ADDRESS: bad })).message).toMatch(/^WARREN_AUTHORITY_MAX_UNBOUND_PER_ADDRESS:/);
    }
    const options = coordinatorOptions(parseServerSettings(['--authority-max-unbound-per-address', '7'], { WARREN_AUTHORITY_ALLOW_FROM: 'rabbitmq, 10.0.0.5,::1' }));
    expect(options.security).toMatchObject({ authorityAllowFrom: ['rabbitmq', '10.0.0.5', '::1'], maxUnboundPerAddress: 7 });
  });
});
