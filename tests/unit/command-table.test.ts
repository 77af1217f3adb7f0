import { COMMAND_LABELS, buildCommand, commandCarries, type CommandArgs } from '../../client/lib/command-table.js';
import { COMMAND_QUEUE_TYPES, ERROR_CODES, commandRequestSchema, decodeCommand, type CommandType } from '../../shared/index.js';
import { SAMPLE_TOKEN, bytes } from '../support/samples.js';

/** What a caller passes for each command: the table below must cover every command of the protocol. */
const ARGS: { [T in CommandType]: CommandArgs<T> } = {
  login: { name: 'alice', clientId: 'client-1' },
  register: { password: 'correct horse battery' },
  users: {},
  mymsgs: {},
  history: { room: 'general', afterSeq: 3, limit: 10 },
  logout: {},
  heartbeat: {},
  create_room: { room: 'ops', secret: true },
  join_room: { room: 'ops' },
  leave_room: { room: 'ops' },
  rooms: {},
  invite: { user: 'bob', room: 'ops' },
  kick: { user: 'bob', room: 'ops' },
  promote: { user: 'bob', room: 'ops' },
  whois: { user: 'bob' },
  edit: { num: 7, text: 'fixed' },
  delete: { num: 7 },
  room_ttl: { room: 'ops', ttlMs: null },
};

const NOW = new Date('2024-05-01T12:00:00.000Z');
const build = <T extends CommandType>(type: T, args: CommandArgs<T>): Record<string, unknown> =>
  buildCommand(type, args, { requestId: 'req-1', token: SAMPLE_TOKEN, now: NOW }) as Record<string, unknown>;

describe('the command names', () => {
  it('are the 18 of the schema, each once', () => {
    const fromSchema = commandRequestSchema.options.map((option) => option.shape.type.value);
    expect(COMMAND_QUEUE_TYPES).toEqual(fromSchema);
    expect(COMMAND_QUEUE_TYPES).toHaveLength(18);
    expect(new Set(COMMAND_QUEUE_TYPES).size).toBe(18);
  });

  it('each have a label, and the labels name no other command', () => {
    expect(Object.keys(COMMAND_LABELS).sort()).toEqual([...COMMAND_QUEUE_TYPES].sort());
  });
});

describe('buildCommand', () => {
  it('refuses (through the schema) a command with a field its schema lacks', () => {
    const body = { ...build('users', {}), room: 'general' };
    expect(decodeCommand(bytes(body))).toMatchObject({ ok: false, code: ERROR_CODES.INVALID_MESSAGE });
  });

  it('refuses (through the schema) a command without its token', () => {
    const body = buildCommand('users', {}, { requestId: 'req-1', token: undefined, now: NOW });
    expect(decodeCommand(bytes(body))).toMatchObject({ ok: false, code: ERROR_CODES.INVALID_MESSAGE });
  });

  it.each(COMMAND_QUEUE_TYPES)('builds a %s the coordinator accepts', (type) => {
    const body = build(type, ARGS[type] as never);
    const decoded = decodeCommand(bytes(body));
    expect(decoded).toMatchObject({ ok: true, value: { type, requestId: 'req-1' } });
  });

  it.each(COMMAND_QUEUE_TYPES)('gives %s the token and the clock exactly when its schema has them', (type) => {
    const body = build(type, ARGS[type] as never);
    expect('token' in body).toBe(commandCarries(type, 'token'));
    expect('clientTs' in body).toBe(commandCarries(type, 'clientTs'));
    if ('clientTs' in body) expect(body.clientTs).toBe(NOW.toISOString());
  });

  it('knows which commands record the client clock: the ones that change something', () => {
    const stamped = COMMAND_QUEUE_TYPES.filter((type) => commandCarries(type, 'clientTs'));
    expect(stamped.sort()).toEqual(['create_room', 'delete', 'edit', 'invite', 'join_room', 'kick', 'leave_room', 'login', 'logout', 'promote', 'register', 'room_ttl']);
    expect(commandCarries('login', 'token')).toBe(false);
  });
});
