import { CLIENT_SETTINGS } from '../../client/config.js';
import { SERVER_SETTINGS } from '../../server/config.js';
import { AMQP_URL_SETTING, ERROR_CODES, namespaceSchema, resolveSettings } from '../../shared/index.js';
import { configError } from '../support/config-error.js';

const accepts = (value: unknown): boolean => AMQP_URL_SETTING.schema.safeParse(value).success;

describe('the AMQP_URL setting', () => {
  it.each([
    ['', 'empty'],
    ['localhost:5672', 'no scheme'],
    ['http://broker:5672', 'another scheme'],
    ['amqp://', 'no host'],
    ['amqp:///vhost', 'no host, only a vhost'],
    ['amqp://:5672', 'a port without a host'],
    ['amqp://guest:guest@', 'credentials without a host'],
    ['amqp://broker:notaport', 'a port that is not a number'],
    ['amqp://broker:70000', 'a port out of range'],
    ['amqp://bro ker:5672', 'white space inside'],
    [' amqp://broker:5672', 'leading white space'],
    ['amqp://broker:5672\n', 'a trailing new line'],
    ['amqp:/broker', 'one slash'],
  ])('refuses %j (%s)', (value) => {
    expect(accepts(value)).toBe(false);
  });

  it('refuses a value that is not text', () => {
    expect(accepts(5672)).toBe(false);
  });

  it.each([
    'amqp://guest:guest@localhost:5672',
    'amqp://localhost',
    'amqps://user:pw@broker:5671/vhost',
    'amqp://user:p%40ss@broker/%2F',
    'amqp://127.0.0.1:5672?heartbeat=10',
    'amqp://[::1]:5672',
  ])('accepts %j unchanged', (value) => {
    expect(AMQP_URL_SETTING.schema.parse(value)).toBe(value);
  });

  it.each([
    ['amqp://a:5672,', 'a trailing comma (an empty entry)', 'entry 2 of 2'],
    [',amqp://a:5672', 'a leading comma', 'entry 1 of 2'],
    ['amqp://a:5672,,amqp://b:5672', 'two commas', 'entry 2 of 3'],
    ['amqp://a:5672, amqp://b:5672', 'a space after the comma', 'entry 2 of 2'],
    ['amqp://a:5672,http://b:5672', 'another scheme in the list', 'entry 2 of 2'],
    ['amqp://a:5672,amqp://b:99999,amqp://c', 'a port out of range in the list', 'entry 2 of 3'],
  ])('refuses the list %j (%s), naming the bad entry', (value, _why, entry) => {
    const error = configError(() => resolveSettings({ amqpUrl: AMQP_URL_SETTING }, {}, { AMQP_URL: value }));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message).toContain('AMQP_URL');
    expect(error.message).toContain(entry);
  });

  it('hides the password of the bad entry it names', () => {
    const error = configError(() => resolveSettings({ amqpUrl: AMQP_URL_SETTING }, {}, { AMQP_URL: 'amqp://u:good@a:5672,amqp://u:s3cret@b:99999' }));
    expect(error.message).toContain('entry 2 of 2 ("amqp://u:***@b:99999")');
  });

  it.each(['amqp://guest:guest@127.0.0.1:5701,amqp://guest:guest@127.0.0.1:5702,amqp://guest:guest@127.0.0.1:5703', 'amqp://a,amqps://u:p%2Cw@b:5671/vh'])(
    'accepts the list %j unchanged',
    (value) => {
      expect(AMQP_URL_SETTING.schema.parse(value)).toBe(value);
    },
  );

  it('is one definition, shared by the coordinator and the client', () => {
    expect(SERVER_SETTINGS.amqpUrl).toBe(AMQP_URL_SETTING);
    expect(CLIENT_SETTINGS.amqpUrl).toBe(AMQP_URL_SETTING);
    expect(AMQP_URL_SETTING).toMatchObject({ env: 'AMQP_URL', flag: 'amqp-url', default: 'amqp://guest:guest@localhost:5672' });
  });
});

describe('the namespace setting', () => {
  it.each(['', 'Warren', '-warren', '_warren', 'war.ren', 'war ren', 'a'.repeat(65), 'warren\n'])('refuses %j', (value) => {
    expect(namespaceSchema.safeParse(value).success).toBe(false);
  });

  it.each(['warren', 'team-2_chat', '0', 'a'.repeat(64)])('accepts %j', (value) => {
    expect(namespaceSchema.parse(value)).toBe(value);
  });

  it('has one rule for the coordinator and the client', () => {
    expect(SERVER_SETTINGS.namespace.schema).toBe(namespaceSchema);
    expect(CLIENT_SETTINGS.namespace.schema).toBe(namespaceSchema);
  });
});
