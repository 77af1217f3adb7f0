import { Command } from 'commander';
import { z } from 'zod';
import { ERROR_CODES, addSettingFlags, booleanFromText, resolveSettings, setting, settingsForEntryPoint } from '../../shared/index.js';
import { SERVER_SETTINGS, coordinatorOptions, parseServerSettings, serverCommand } from '../../server/config.js';
import { configError } from '../support/config-error.js';

const TABLE = {
  port: setting({ env: 'TEST_PORT', flag: 'port', description: 'a port', default: 5672, schema: z.coerce.number().int().min(1).max(65535) }),
  verbose: setting({ env: 'TEST_VERBOSE', flag: 'verbose', description: 'talk more', default: false, schema: booleanFromText, boolean: true }),
  label: setting({ flag: 'label', description: 'no variable for this one', default: 'none', schema: z.string().min(1) }),
};

describe('resolveSettings', () => {
  it('takes the default when neither flag nor variable is given', () => {
    expect(resolveSettings(TABLE, {}, {})).toEqual({ port: 5672, verbose: false, label: 'none' });
  });

  it('takes the environment variable over the default', () => {
    expect(resolveSettings(TABLE, {}, { TEST_PORT: '15672', TEST_VERBOSE: 'yes' })).toMatchObject({ port: 15672, verbose: true });
  });

  it('takes the flag over the environment variable', () => {
    expect(resolveSettings(TABLE, { port: '1234', verbose: false }, { TEST_PORT: '15672', TEST_VERBOSE: 'on' })).toMatchObject({
      port: 1234,
      verbose: false,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(resolveSettings(TABLE, {}, { TEST_PORT: '' }).port).toBe(5672);
  });

  it('ignores variables of other settings and settings without a variable', () => {
    expect(resolveSettings(TABLE, {}, { label: 'from-env', LABEL: 'from-env' }).label).toBe('none');
  });

  it('names the environment variable when its value is invalid', () => {
    const error = configError(() => resolveSettings(TABLE, {}, { TEST_PORT: 'eighty' }));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message).toContain('TEST_PORT');
    expect(error.message).toContain('"eighty"');
  });

  it('names the flag when its value is invalid, even if the variable is valid', () => {
    const error = configError(() => resolveSettings(TABLE, { port: '70000' }, { TEST_PORT: '80' }));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message).toContain('--port');
    expect(error.message).not.toContain('TEST_PORT');
  });

  it.each([
    ['1', true],
    ['true', true],
    ['yes', true],
    ['on', true],
    ['0', false],
    ['false', false],
    ['no', false],
    ['off', false],
  ])('reads the boolean variable %j as %s', (raw, expected) => {
    expect(resolveSettings(TABLE, {}, { TEST_VERBOSE: raw }).verbose).toBe(expected);
  });

  it('refuses a boolean it cannot read, listing the words it can', () => {
    const message = configError(() => resolveSettings(TABLE, {}, { TEST_VERBOSE: 'maybe' })).message;
    expect(message).toContain('TEST_VERBOSE');
    expect(message).toContain('must be one of 1, true, yes, on, 0, false, no, off');
  });
});

describe('setting flags', () => {
  it('document the variable and the default in the help', () => {
    const help = addSettingFlags(new Command('test'), TABLE).helpInformation();
    expect(help).toContain('--port <value>');
    expect(help).toContain('[env TEST_PORT]');
    expect(help).toContain('(default: 5672)');
    expect(help).toMatch(/--verbose\s/);
  });

  it('show no default for a setting that has none', () => {
    const table = { user: setting<string | undefined>({ env: 'TEST_USER', flag: 'user', description: 'a name', default: undefined, schema: z.string().optional() }) };
    const help = addSettingFlags(new Command('test'), table).helpInformation();
    expect(help).toContain('[env TEST_USER]');
    expect(help).not.toContain('default');
  });

  it('make --help exit 0 and an unknown flag exit 2, like a bad value', () => {
    const quiet = (command: Command): Command => command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    expect(settingsForEntryPoint(quiet(new Command('test')), TABLE, ['--help'], {})).toEqual({ ok: false, exitCode: 0 });
    expect(settingsForEntryPoint(quiet(new Command('test')), TABLE, ['--bogus'], {})).toEqual({ ok: false, exitCode: 2 });
    expect(settingsForEntryPoint(quiet(new Command('test')), TABLE, [], { TEST_PORT: 'x' })).toMatchObject({ ok: false, exitCode: 2 });
  });

  it('land on the setting key, so resolveSettings finds them', () => {
    const command = addSettingFlags(new Command('test'), TABLE).exitOverride();
    command.parse(['--port', '99', '--verbose'], { from: 'user' });
    expect(resolveSettings(TABLE, command.opts(), { TEST_PORT: '1' })).toMatchObject({ port: 99, verbose: true });
  });
});

describe('server settings', () => {
  it('have documented defaults', () => {
    const settings = parseServerSettings([], {});
    expect(settings).toMatchObject({ amqpUrl: 'amqp://guest:guest@localhost:5672', namespace: 'warren', sessionTimeout: 15 });
    const options = coordinatorOptions(settings);
    expect(options.sessionTimeoutMs).toBe(15_000);
  });

  it('read the environment, and flags win over it', () => {
    const env = { AMQP_URL: 'amqp://u:p@broker:5672', WARREN_NAMESPACE: 'from-env', WARREN_SESSION_TIMEOUT: '10' };
    expect(parseServerSettings([], env)).toMatchObject({ amqpUrl: 'amqp://u:p@broker:5672', namespace: 'from-env', sessionTimeout: 10 });
    expect(parseServerSettings(['--namespace', 'from-flag', '--session-timeout', '3'], env)).toMatchObject({
      namespace: 'from-flag',
      sessionTimeout: 3,
    });
  });

  it.each([
    [[], { AMQP_URL: 'http://broker' }, 'AMQP_URL'],
    [[], { WARREN_NAMESPACE: 'Has Spaces' }, 'WARREN_NAMESPACE'],
    [[], { WARREN_SESSION_TIMEOUT: '0' }, 'WARREN_SESSION_TIMEOUT'],
    [[], { WARREN_SESSION_TIMEOUT: 'soon' }, 'WARREN_SESSION_TIMEOUT'],
    [[], { WARREN_PREFETCH: '-5' }, 'WARREN_PREFETCH'],
    [['--namespace', 'a.b'], {}, '--namespace'],
    [['--session-timeout', '1.5'], {}, '--session-timeout'],
    [['--amqp-url', 'localhost'], { AMQP_URL: 'amqp://fine' }, '--amqp-url'],
  ])('refuse %j with %j with CONFIG_INVALID naming %s', (argv, env, named) => {
    const error = configError(() => parseServerSettings(argv, env));
    expect(error.code).toBe(ERROR_CODES.CONFIG_INVALID);
    expect(error.message).toContain(named);
  });

  it('list every variable in --help', () => {
    const help = addSettingFlags(serverCommand(), SERVER_SETTINGS).helpInformation();
    for (const variable of ['AMQP_URL', 'WARREN_NAMESPACE', 'WARREN_DATA_DIR', 'WARREN_LOG_DIR', 'WARREN_SESSION_TIMEOUT']) {
      expect(help).toContain(variable);
    }
  });
});

describe('whole-number settings', () => {
  it('refuse a blank, hex, a fraction or a sign instead of reading them as numbers', async () => {
    const { wholeNumber } = await import('../../shared/settings.js');
    const schema = wholeNumber(0, 500);
    for (const bad of [' ', '', '0x10', '1.5', '-1', '1e2', '501']) expect(schema.safeParse(bad).success).toBe(false);
    expect(schema.parse(' 42 ')).toBe(42);
    expect(schema.parse(0)).toBe(0);
  });
});
