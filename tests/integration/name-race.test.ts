import { ERROR_CODES, isWarrenError } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';

const RACERS = 20;

describe('unique names', () => {
  let running: RunningCoordinator;
  beforeEach(async () => {
    running = await startCoordinator();
  });
  afterEach(async () => {
    await running.stop();
  });

  it(`gives a name to exactly one of ${RACERS} clients racing for it, in any letter case`, async () => {
    const clients = await Promise.all(Array.from({ length: RACERS }, () => running.client()));
    const spellings = ['racer', 'Racer', 'RACER', 'rAcEr'];
    const results = await Promise.allSettled(clients.map((client, index) => client.login(spellings[index % spellings.length] ?? 'racer')));

    const winners = results.flatMap((result, index) => (result.status === 'fulfilled' ? [{ index, name: result.value.name }] : []));
    expect(winners).toHaveLength(1);
    const losers = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    expect(losers).toHaveLength(RACERS - 1);
    for (const reason of losers) {
      expect(isWarrenError(reason, ERROR_CODES.NAME_TAKEN)).toBe(true);
      expect(String((reason as Error).message)).toContain(winners[0]?.name);
    }

    const winner = clients[winners[0]?.index ?? -1];
    expect(await winner?.users()).toEqual([{ name: winners[0]?.name, since: expect.any(String) }]);
    expect(linesOfKind(running.logLines(), 'JOIN')).toHaveLength(1);
    const refusals = linesOfKind(running.logLines(), 'REJECTED').map((line) => line.fields.code);
    expect(refusals).toEqual(Array(RACERS - 1).fill(ERROR_CODES.NAME_TAKEN));
  });

  it('lets a loser try again with another name on the same connection', async () => {
    const [first, second] = await Promise.all([running.client(), running.client()]);
    await first?.login('dana');
    await expect(second?.login('DANA')).rejects.toMatchObject({ code: ERROR_CODES.NAME_TAKEN });
    await expect(second?.login('dana2')).resolves.toMatchObject({ name: 'dana2' });
    expect((await first?.users())?.map((user) => user.name)).toEqual(['dana', 'dana2']);
  });

  it('refuses an invalid name with the reason, and the client may try again', async () => {
    const client = await running.client();
    await expect(client.login('john smith')).rejects.toMatchObject({ code: ERROR_CODES.NAME_INVALID, message: expect.stringMatching(/space/) });
    await expect(client.login('x'.repeat(33))).rejects.toMatchObject({ code: ERROR_CODES.NAME_INVALID, message: expect.stringMatching(/32/) });
    await expect(client.login('evil\u001b[2J')).rejects.toMatchObject({ code: ERROR_CODES.NAME_INVALID });
    await expect(client.login('')).rejects.toMatchObject({ code: ERROR_CODES.NAME_INVALID });
    await expect(client.login('John')).resolves.toMatchObject({ name: 'John' });
    // A refused name is a refusal, not broken input: logged, never joined.
    const rejected = linesOfKind(running.logLines(), 'REJECTED').map((line) => line.fields.code);
    expect(rejected).toEqual(Array(4).fill(ERROR_CODES.NAME_INVALID));
    expect(linesOfKind(running.logLines(), 'JOIN').map((line) => line.fields.name)).toEqual(['John']);
  });
});
