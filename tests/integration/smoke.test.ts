import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';

describe('coordinator smoke', () => {
  let running: RunningCoordinator;
  beforeEach(async () => {
    running = await startCoordinator();
  });
  afterEach(async () => {
    await running.stop();
  });

  it('delivers a message from one client to another with the server time', async () => {
    const alice = await running.client();
    const bob = await running.client();
    await alice.login('alice');
    await bob.login('bob');
    const received = new Promise((resolve) => bob.once('message', resolve));
    const accepted = await alice.send('hi bob');
    expect(accepted.seq).toBe(1);
    expect(await received).toMatchObject({ from: 'alice', text: 'hi bob', seq: 1 });
    expect(running.logLines().some((line) => line.includes('MESSAGE') && line.includes('text="hi bob"'))).toBe(true);
  });
});
