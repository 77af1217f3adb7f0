import type { RoomEvent } from '../../shared/index.js';
import { ERROR_CODES, isWarrenError } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';

/** The code a promise is refused with; fails the test if it resolves. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isWarrenError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('accounts, guest names and limits, through the broker', () => {
  let running: RunningCoordinator;
  afterEach(async () => {
    await running.stop();
  });

  it('whoever takes "alice" after she left inherits nothing, and bob is told his chat with her moved', async () => {
    running = await startCoordinator();
    const alice = await running.client();
    const bob = await running.client();
    await alice.login('alice');
    await bob.login('bob');
    const bobsEvents: RoomEvent[] = [];
    bob.on('roomEvent', (event) => bobsEvents.push(event));
    await alice.createRoom('den', { secret: true });
    await alice.send('a line of hers');
    await bob.send('hi alice', { to: 'alice' });
    await alice.logout();
    await waitFor(() => bobsEvents.find((event) => event.event === 'archived'), 'bob to hear the chat was archived');
    expect(bobsEvents.find((event) => event.event === 'archived')).toMatchObject({ room: 'dm:alice:bob', renamedTo: 'dm:alice~1:bob', name: 'alice' });
    await bob.send('sent while she was away', { to: 'alice' });

    const thief = await running.client();
    const ok = await thief.login('alice');
    expect(ok.rooms.map((room) => room.name)).toEqual(['general']);
    expect(ok.privateBacklog).toEqual([]);
    expect(await codeOf(thief.joinRoom('den'))).toBe(ERROR_CODES.UNKNOWN_ROOM);
    expect(await codeOf(thief.history({ room: 'dm:alice:bob' }))).toBe(ERROR_CODES.UNKNOWN_ROOM);
    expect(await thief.myMessages()).toEqual([]);
    // bob keeps the old conversation under its new name.
    expect((await bob.history({ room: 'dm:alice~1:bob' })).messages.map((event) => event.text)).toEqual(['hi alice']);
  });

  it('a registered name needs its password, keeps its secret room and /mymsgs, and refuses look-alikes', async () => {
    running = await startCoordinator();
    const first = await running.client();
    await first.login('ria');
    expect(await codeOf(first.register('short'))).toBe(ERROR_CODES.PASSWORD_TOO_SHORT);
    expect(await first.register('ria password 9')).toBe('ria');
    expect(await codeOf(first.register('ria password 9'))).toBe(ERROR_CODES.ACCOUNT_EXISTS);
    await first.createRoom('hideout', { secret: true });
    await first.send('remember me');
    await first.logout();
    expect(linesOfKind(running.logLines(), 'REGISTERED').map((line) => line.fields.name)).toEqual(['ria']);

    const other = await running.client();
    expect(await codeOf(other.login('ria'))).toBe(ERROR_CODES.PASSWORD_REQUIRED);
    expect(await codeOf(other.login('RIA', 'not the password'))).toBe(ERROR_CODES.PASSWORD_WRONG);
    const back = await other.login('Ria', 'ria password 9');
    expect(back.name).toBe('ria');
    expect(back.rooms.map((room) => [room.name, room.role])).toEqual(expect.arrayContaining([['hideout', 'admin']]));
    expect((await other.myMessages()).map((event) => event.text)).toEqual(['remember me']);
    // A look-alike while she is online.
    const mimic = await running.client();
    expect(await codeOf(mimic.login('RIA'))).toBe(ERROR_CODES.PASSWORD_REQUIRED);
  });

  it('refuses a flood of messages with RATE_LIMITED and says when to try again', async () => {
    running = await startCoordinator({ rateRules: { message: { points: 3, durationMs: 60_000 }, roomCreate: null, loginByName: null, loginByClient: null } });
    const dan = await running.client();
    await dan.login('dan');
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, index) => dan.send(`line ${index}`)));
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    expect(refused).toHaveLength(2);
    for (const reason of refused) {
      expect(isWarrenError(reason, ERROR_CODES.RATE_LIMITED)).toBe(true);
      expect(reason.message).toMatch(/try again in \d+ s/);
    }
  });
});
