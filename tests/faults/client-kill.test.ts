import { existsSync } from 'node:fs';
import { ERROR_CODES, isWarrenError, type PresenceEvent } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { report, stopProgram, zeroes } from '../support/fault-kit.js';
import { CLIENT_MAIN, runProgram, type Program } from '../support/programs.js';
import { waitFor } from '../support/wait.js';

/**
 * A client program killed with SIGKILL never says goodbye: the coordinator must free its name
 * once the heartbeat timeout passes, and everyone else must see it leave.
 */

const SESSION_TIMEOUT_MS = 3000;

describe('a client killed with SIGKILL', () => {
  let running: RunningCoordinator;
  let dora: Program | undefined;

  beforeAll(async () => {
    running = await startCoordinator({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
  });
  afterAll(async () => {
    if (dora) await stopProgram(dora);
    await running.stop();
  });

  it('has its name freed within the heartbeat timeout, and the others see it leave', async () => {
    if (!existsSync(CLIENT_MAIN)) throw new Error(`${CLIENT_MAIN} is missing: run \`npm run build\` first (npm test does)`);
    const watchers = await Promise.all(['ana', 'bruno'].map(async (name) => {
      const client = await running.client();
      await client.login(name);
      const seen: PresenceEvent[] = [];
      const heard: string[] = [];
      client.on('presence', (event) => seen.push(event));
      client.on('message', (event) => heard.push(`${event.from}: ${event.text}`));
      return { name, client, seen, heard };
    }));

    const program = runProgram(CLIENT_MAIN, ['--user', 'dora'], { AMQP_URL: running.options.amqpUrl, WARREN_NAMESPACE: running.namespace });
    dora = program;
    await waitFor(() => watchers.every((watcher) => watcher.seen.some((event) => event.name === 'dora' && event.event === 'joined')), () => `dora to join:\n${program.stderr()}`);
    program.child.stdin?.write('dora was here\n');
    await waitFor(() => watchers.every((watcher) => watcher.heard.includes('dora: dora was here')), 'dora to chat');
    const intruder = await running.client();
    const takenWhileAlive = await intruder.login('dora').then(
      () => 'accepted',
      (err: unknown) => (isWarrenError(err) ? err.code : String(err)),
    );

    program.child.kill('SIGKILL');
    await program.exited;
    // Bounded by the timeout plus one sweep (at most a second) plus slack for a loaded machine.
    await waitFor(
      () => watchers.every((watcher) => watcher.seen.some((event) => event.name === 'dora' && event.event === 'left')),
      'everyone to see dora leave',
      SESSION_TIMEOUT_MS + 1000 + 10_000,
    );
    const newcomer = await running.client();
    const reclaimed = await newcomer.login('dora').then(
      (reply) => reply.name,
      (err: unknown) => (isWarrenError(err) ? err.code : String(err)),
    );

    const leaves = watchers.flatMap((watcher) => watcher.seen.filter((event) => event.name === 'dora' && event.event === 'left'));
    const logged = running.logLines().filter((line) => line.includes(' LEAVE ') && line.includes('name=dora'));
    const differences = {
      nameNotHeldWhileAlive: takenWhileAlive === ERROR_CODES.NAME_TAKEN ? 0 : 1,
      watchersMinusLeaveEvents: watchers.length - leaves.length,
      leavesNotByTimeout: leaves.filter((event) => event.reason !== 'timeout').length,
      leaveLogLinesMinusOne: logged.length - 1,
      nameNotFreed: reclaimed === 'dora' ? 0 : 1,
    };
    const counts = { sessionTimeoutMs: SESSION_TIMEOUT_MS, watchers: watchers.length, leaveEvents: leaves.length };
    expect(report('client kill -9', counts, differences)).toEqual(zeroes(differences));
  }, 60_000);
});
