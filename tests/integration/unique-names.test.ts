import type { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, isWarrenError, nameKey } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';

const RACERS = 20;

describe('unique names under a race', () => {
  let running: RunningCoordinator;
  beforeEach(async () => {
    running = await startCoordinator();
  });
  afterEach(async () => {
    await running.stop();
  });

  /** Connects every client first, then fires all logins at once. */
  async function race(names: string[]): Promise<{ clients: WarrenClient[]; results: PromiseSettledResult<unknown>[] }> {
    const clients = await Promise.all(names.map(() => running.client()));
    const results = await Promise.allSettled(clients.map((client, index) => client.login(names[index] ?? '')));
    return { clients, results };
  }

  function outcome(results: PromiseSettledResult<unknown>[]): { winners: number[]; refusals: unknown[] } {
    const winners = results.flatMap((result, index) => (result.status === 'fulfilled' ? [index] : []));
    const refusals = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    return { winners, refusals };
  }

  it(`gives one name to exactly one of ${RACERS} clients; the others get NAME_TAKEN`, async () => {
    const { clients, results } = await race(Array.from({ length: RACERS }, () => 'pat'));
    const { winners, refusals } = outcome(results);
    expect(winners).toHaveLength(1);
    expect(refusals).toHaveLength(RACERS - 1);
    for (const refusal of refusals) expect(isWarrenError(refusal, ERROR_CODES.NAME_TAKEN)).toBe(true);

    const winner = clients[winners[0] ?? -1];
    expect(winner?.name).toBe('pat');
    expect((await winner?.users())?.map((user) => user.name)).toEqual(['pat']);
    expect(linesOfKind(running.logLines(), 'JOIN').map((line) => line.fields.name)).toEqual(['pat']);
  });

  it('treats names differing only in letter case as one name', async () => {
    const spellings = ['Robin', 'robin', 'ROBIN', 'rObIn', 'RoBiN'];
    const names = Array.from({ length: RACERS }, (_, index) => spellings[index % spellings.length] ?? 'robin');
    const { clients, results } = await race(names);
    const { winners, refusals } = outcome(results);
    expect(winners).toHaveLength(1);
    for (const refusal of refusals) expect(isWarrenError(refusal, ERROR_CODES.NAME_TAKEN)).toBe(true);

    // The winner keeps the spelling it asked for.
    const index = winners[0] ?? -1;
    expect(clients[index]?.name).toBe(names[index]);
    const online = (await clients[index]?.users()) ?? [];
    expect(online.map((user) => nameKey(user.name))).toEqual(['robin']);
  });

  it('lets the losers pick another name and keeps the winner online', async () => {
    const { clients, results } = await race(Array.from({ length: 5 }, () => 'sam'));
    const losers = clients.filter((_, index) => results[index]?.status === 'rejected');
    expect(losers).toHaveLength(4);
    await Promise.all(losers.map((client, index) => client.login(`sam${index + 2}`)));
    const online = await losers[0]?.users();
    expect(online?.map((user) => user.name)).toEqual(['sam', 'sam2', 'sam3', 'sam4', 'sam5']);
  });
});
