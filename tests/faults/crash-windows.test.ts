import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfirmChannel } from 'amqplib';
import { Outbox } from '../../client/lib/outbox.js';
import { PendingRequests } from '../../client/lib/pending-requests.js';
import { ChatLog, messageLogEntry } from '../../server/log/chat-log.js';
import { repairChatLog } from '../../server/log/chat-log-repair.js';
import { openSqliteStore } from '../../server/store/open-store.js';
import { DEFAULT_ROOM, ERROR_CODES, isWarrenError } from '../../shared/index.js';
import { loggedMessages, report, zeroes } from '../support/fault-kit.js';

/**
 * The instants a kill -9 or a dropped connection rarely hits by chance, reproduced exactly:
 * the coordinator dying between storing a message and marking its log line written, and the
 * client losing its channel with messages published but not yet confirmed.
 */

describe('the coordinator dies between storing a message and marking it logged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-fault-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the missing log line once, and never a second copy of one already written', () => {
    const store = openSqliteStore(join(dir, 'data'));
    const log = new ChatLog(join(dir, 'log'));
    const message = (n: number) => ({
      id: `server-${n}`,
      sessionId: 'session-1',
      clientMsgId: `client-${n}`,
      room: DEFAULT_ROOM,
      from: 'ana',
      text: `line ${n}`,
      clientTs: '2026-01-01T00:00:00.000Z',
      serverTs: `2026-01-01T00:00:0${n}.000Z`,
    });
    // 1: logged and marked. 2: its line written, the mark lost with the process. 3: stored only.
    const first = store.appendMessage(message(1)).event;
    log.append(messageLogEntry(first));
    store.markLogged(first.num);
    log.append(messageLogEntry(store.appendMessage(message(2)).event));
    store.appendMessage(message(3));

    const written = repairChatLog(store, log);
    const again = repairChatLog(store, log);
    log.close();
    const redelivered = store.appendMessage(message(3));
    const lines = loggedMessages(readFileSync(log.path, 'utf8').split('\n'));
    store.close();

    const differences = {
      recoveredMinusOne: written - 1,
      recoveredOnSecondRun: again,
      logLinesMinusThree: lines.length - 3,
      logOutOfOrder: lines.filter((line, index) => line.seq !== index + 1).length,
      redeliveryNotRecognised: redelivered.duplicate && redelivered.logged ? 0 : 1,
    };
    expect(report('crash between store and log', { stored: 3, logLines: lines.length, recovered: written }, differences)).toEqual(zeroes(differences));
  });
});

/** A ConfirmChannel stand-in that records publishes and confirms them when told. */
class FakeChannel {
  readonly published: string[] = [];
  private readonly callbacks: ((err: unknown) => void)[] = [];

  /** The outbox publishes to the input exchange (`<ns>.input`), with the routing key of its kind. */
  publish(_exchange: string, _routingKey: string, content: Buffer, _options: unknown, callback: (err: unknown) => void): boolean {
    this.published.push(content.toString('utf8'));
    this.callbacks.push(callback);
    return true;
  }

  confirmAll(err: unknown = null): void {
    for (const callback of this.callbacks.splice(0)) callback(err);
  }
}

describe('the client loses its channel with messages in flight', () => {
  it('publishes everything unanswered again on the next channel, in the order it was sent', () => {
    const outbox = new Outbox();
    const add = (id: string): void => outbox.add({ id, exchange: 'x', routingKey: 'command', content: Buffer.from(id), options: {} });
    const first = new FakeChannel();
    outbox.attach(first as unknown as ConfirmChannel);
    add('a');
    add('b');
    first.confirmAll();
    add('c');
    // The connection drops: c was never confirmed; a and b were, but their answers may be lost.
    first.confirmAll(new Error('channel closed'));
    outbox.detach(first as unknown as ConfirmChannel);
    add('d');
    add('e');
    outbox.remove('a');
    const second = new FakeChannel();
    outbox.attach(second as unknown as ConfirmChannel);
    outbox.close();

    const differences = {
      orderBroken: second.published.join(',') === 'b,c,d,e' ? 0 : 1,
      sentWhileOffline: first.published.filter((id) => id === 'd' || id === 'e').length,
    };
    expect(report('channel lost with messages in flight', { firstChannel: first.published.length, secondChannel: second.published.length }, differences)).toEqual(
      zeroes(differences),
    );
  });

  it('runs a request deadline only while the broker has the request', async () => {
    // Native ES modules: the jest object lives on import.meta.
    const jest = (import.meta as unknown as { jest: typeof globalThis.jest }).jest;
    jest.useFakeTimers();
    try {
      const pending = new PendingRequests(1000);
      const answer = pending.wait<string>('r1', 'a request');
      const outcome = answer.then(
        () => 'answered',
        (err: unknown) => (isWarrenError(err) ? err.code : 'other'),
      );
      jest.advanceTimersByTime(60_000); // offline: not yet published, no clock
      pending.arm('r1');
      jest.advanceTimersByTime(500);
      pending.disarmAll(); // the connection dropped: the clock stops
      jest.advanceTimersByTime(60_000);
      const stillWaiting = pending.has('r1');
      pending.arm('r1'); // published again and confirmed
      jest.advanceTimersByTime(1000);
      const differences = {
        failedWhileOffline: stillWaiting ? 0 : 1,
        notTimedOutOnline: (await outcome) === ERROR_CODES.REQUEST_TIMEOUT ? 0 : 1,
      };
      expect(report('request deadline across a disconnect', { offlineMs: 120_000, onlineMs: 1500 }, differences)).toEqual(zeroes(differences));
    } finally {
      jest.useRealTimers();
    }
  });
});
