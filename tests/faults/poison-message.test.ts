import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetMessage } from 'amqplib';
import { Coordinator } from '../../server/coordinator.js';
import { silentLogger } from '../../server/logger.js';
import { openSqliteStore } from '../../server/store/open-store.js';
import type { SqlStore } from '../../server/store/sql-store.js';
import type { NewMessage } from '../../server/store/store.js';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, MAX_DELIVERIES, isWarrenError, topologyFor } from '../../shared/index.js';
import { OPEN_MODE, amqpUrl, deleteNamespace, rawChannel, uniqueNamespace } from '../support/broker.js';
import { fullHistory, report, zeroes } from '../support/fault-kit.js';
import { ROOT, runProgram } from '../support/programs.js';
import { waitFor } from '../support/wait.js';

/**
 * A message the coordinator fails on every time (here: a store that throws for one text) must not
 * be redelivered forever nor block the queue: after a bounded number of attempts it ends in the
 * dead-letter queue, with the reason, and its sender is told.
 */

const POISON = 'this text breaks the store';

describe('a poison message', () => {
  const namespace = uniqueNamespace('fault');
  const dir = mkdtempSync(join(tmpdir(), 'warren-fault-'));
  let coordinator: Coordinator;
  const clients: WarrenClient[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await coordinator?.stop();
    await deleteNamespace(namespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is dead-lettered after bounded attempts, its sender told, and the queue moves on', async () => {
    let attempts = 0;
    const real = openSqliteStore(join(dir, 'data'));
    const store = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'appendMessage') {
          return (message: NewMessage) => {
            if (message.text !== POISON) return target.appendMessage(message);
            attempts += 1;
            throw new Error('injected store failure');
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as SqlStore;
    coordinator = new Coordinator(
      { amqpUrl: amqpUrl(), security: OPEN_MODE, namespace, dataDir: join(dir, 'data'), logDir: join(dir, 'log'), sessionTimeoutMs: 15_000, historyOnJoin: 20, prefetch: 200 },
      silentLogger,
      { store },
    );
    await coordinator.start();
    const alice = new WarrenClient({ amqpUrl: amqpUrl(), namespace, security: OPEN_MODE, requestTimeoutMs: 5000 });
    clients.push(alice);
    await alice.connect();
    await alice.login('alice');

    const outcomes = await Promise.allSettled([alice.send('before'), alice.send(POISON), alice.send('after')]);
    const poisonOutcome = outcomes[1];
    const poisonCode = poisonOutcome?.status === 'rejected' && isWarrenError(poisonOutcome.reason) ? poisonOutcome.reason.code : 'not rejected';

    const topology = topologyFor(namespace);
    const raw = await rawChannel();
    let deadLetter: GetMessage | false = false;
    let toolExit: number | string = 'not run';
    let toolOutput = '';
    try {
      await waitFor(async () => (await raw.channel.checkQueue(topology.deadLetterQueue)).messageCount > 0, 'the dead letter', 10_000);
      // What an operator sees with `npm run dead-letters` (it leaves the queue as it was).
      const tool = runProgram(join(ROOT, 'dist', 'server', 'dead-letters-cli.js'), ['--namespace', namespace], { AMQP_URL: amqpUrl() });
      toolExit = await tool.exited;
      toolOutput = tool.stdout();
      deadLetter = await waitFor(async () => raw.channel.get(topology.deadLetterQueue, { noAck: true }), 'the dead letter', 10_000);
    } finally {
      await raw.close();
    }
    const headers = deadLetter ? (deadLetter.properties.headers ?? {}) : {};
    const body = deadLetter ? (JSON.parse(deadLetter.content.toString('utf8')) as { text?: string }) : {};
    const history = await fullHistory(alice);

    const differences = {
      attemptsBeyondLimit: attempts - (MAX_DELIVERIES + 1),
      othersNotAccepted: [outcomes[0], outcomes[2]].filter((outcome) => outcome?.status !== 'fulfilled').length,
      senderNotToldInternal: poisonCode === ERROR_CODES.INTERNAL ? 0 : 1,
      deadLetterNotThePoison: body.text === POISON ? 0 : 1,
      deadLetterWithoutCode: headers['x-warren-error-code'] === ERROR_CODES.INTERNAL ? 0 : 1,
      deadLetterWithoutSource: headers['x-warren-source-queue'] === topology.chatQueue ? 0 : 1,
      deadLetterAttemptsWrong: headers['x-warren-attempts'] === MAX_DELIVERIES + 1 ? 0 : 1,
      poisonStored: history.filter((event) => event.text === POISON).length,
      deadLettersToolFailed: toolExit === 0 && toolOutput.includes('1 message(s)') && toolOutput.includes('x-warren-error-code: "INTERNAL"') ? 0 : 1,
      storedMinusTwo: history.length - 2,
    };
    const counts = { attempts, deliveryLimit: MAX_DELIVERIES, stored: history.length, deadLettered: deadLetter ? 1 : 0 };
    expect(report('poison message', counts, differences)).toEqual(zeroes(differences));
  }, 60_000);
});
