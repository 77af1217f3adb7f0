import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Channel } from 'amqplib';
import type { LinkNotice } from '../../client/lib/binding-watch.js';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { Coordinator } from '../../server/coordinator.js';
import type { Logger } from '../../server/logger.js';
import { DEFAULT_ROOM, closeThrowawayChannel, type ChatEvent } from '../../shared/index.js';
import { OPEN_MODE, amqpUrl, deleteNamespace, rawChannel, uniqueNamespace } from '../support/broker.js';
import { settleWithin } from '../support/fault-kit.js';
import { sleep, waitFor } from '../support/wait.js';

/**
 * Things vanish from under a running chat, done as an admin would (guest on the shared broker):
 * the coordinator must say so in its log, restore them, and serve again; clients must notice
 * lost bindings, restore them and fill the gap; nothing a client had sent is lost.
 */
describe('nothing silent: the coordinator and the clients restore what vanished from the broker', () => {
  const namespace = uniqueNamespace('watch');
  const dir = mkdtempSync(join(tmpdir(), 'warren-watch-'));
  const lines: string[] = [];
  const logger: Logger = {
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
  let coordinator: Coordinator;
  let alice: WarrenClient;
  let bob: WarrenClient;
  const bobView: ChatEvent[] = [];
  const bobNotices: LinkNotice[] = [];
  const totals = { sent: 0, accepted: 0, seenByBob: 0, lost: 0 };
  let admin: Awaited<ReturnType<typeof rawChannel>>;

  beforeAll(async () => {
    coordinator = new Coordinator(
      { amqpUrl: amqpUrl(), security: OPEN_MODE, namespace, dataDir: join(dir, 'data'), logDir: join(dir, 'log'), sessionTimeoutMs: 3000, historyOnJoin: 20, prefetch: 50, topologyCheckMs: 250 },
      logger,
    );
    await coordinator.start();
    alice = new WarrenClient({ amqpUrl: amqpUrl(), namespace, security: OPEN_MODE, requestTimeoutMs: 10_000 });
    bob = new WarrenClient({ amqpUrl: amqpUrl(), namespace, security: OPEN_MODE, requestTimeoutMs: 10_000 });
    bob.on('message', (event) => bobView.push(event));
    bob.on('link', (notice) => bobNotices.push(notice));
    await Promise.all([alice.connect(), bob.connect()]);
    await alice.login('alice');
    await bob.login('bob');
    admin = await rawChannel();
    admin.channel.on('error', () => undefined);
  });

  afterAll(async () => {
    console.log(`topology restore: ${JSON.stringify(totals)}`);
    await admin?.close();
    await Promise.all([alice?.close(), bob?.close()]);
    await coordinator?.stop();
    await deleteNamespace(namespace);
  });

  const topology = (): Coordinator['topology'] => coordinator.topology;
  const logged = (pattern: RegExp, since: number): string | undefined => lines.slice(since).find((line) => pattern.test(line));
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  /** Alice sends `count` lines at once; every one must be accepted and reach bob, in order, once. */
  async function conversation(label: string, count: number, { marker = false } = {}): Promise<void> {
    const texts = Array.from({ length: count }, (_, i) => `${label} ${i}`);
    totals.sent += count;
    const results = await settleWithin(
      texts.map((text) => alice.send(text)),
      `${label}: alice's messages accepted`,
      30_000,
    );
    // Bindings bob lost silently come back within a heartbeat; the next message shows him the gap.
    if (marker) {
      await sleep(2500);
      await alice.send(`${label} marker`);
    }
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    totals.accepted += accepted;
    expect(accepted).toBe(count);
    await waitFor(() => texts.every((text) => bobView.some((event) => event.text === text)), `${label}: bob sees every message`, 20_000).catch(() => undefined);
    const seen = texts.filter((text) => bobView.some((event) => event.text === text)).length;
    totals.seenByBob += seen;
    totals.lost += count - seen;
    expect(seen).toBe(count);
    const seqs = bobView.filter((event) => event.room === DEFAULT_ROOM).map((event) => event.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  }

  async function bobChannel(): Promise<Channel> {
    const channel = await (bob as unknown as { link: { openThrowawayChannel(): Promise<Channel | undefined> } }).link.openThrowawayChannel();
    if (!channel) throw new Error('bob is not connected');
    channel.on('error', () => undefined);
    return channel;
  }

  async function deadLetters(): Promise<number> {
    const { messageCount } = await admin.channel.checkQueue(topology().deadLetterQueue);
    return messageCount;
  }

  it('serves a conversation before anything is touched', async () => {
    await conversation('warm-up', 5);
  });

  it(`deleting <ns>.chat: the cancelled consumer is logged, the queue restored, and alice's messages all arrive`, async () => {
    const since = lines.length;
    await admin.channel.deleteQueue(topology().chatQueue);
    // Sent at once: some of these meet no queue and come back (mandatory), then go again.
    const during = conversation('after chat deleted', 20);
    await waitFor(() => logged(new RegExp(`cancelled the coordinator's consumer of queue ${escape(topology().chatQueue)}`), since), 'the log line of the cancelled consumer');
    await waitFor(() => logged(/^info restored .*serving again/, since), 'the log line of the restore', 30_000);
    await during;
  });

  it('deleting <ns>.events: the coordinator logs and restores it; bob notices, re-binds and fills the gap', async () => {
    const since = lines.length;
    const noticesBefore = bobNotices.length;
    await admin.channel.deleteExchange(topology().eventsExchange);
    await waitFor(() => logged(new RegExp(`${escape(topology().eventsExchange)}`), since), 'a log line naming the events exchange');
    await waitFor(() => logged(/^info restored .*serving again/, since), 'the log line of the restore', 30_000);
    await conversation('after events deleted', 10, { marker: true });
    // Bob's bindings went with the exchange: if his watch saw it gone, it also said it was restored.
    const notices = bobNotices.slice(noticesBefore).map((n) => n.state);
    if (notices.includes('lost')) expect(notices.at(-1)).toBe('restored');
  });

  it('deleting the dead-letter queue: logged, restored, and refused input reaches it again', async () => {
    const since = lines.length;
    await admin.channel.deleteQueue(topology().deadLetterQueue);
    await waitFor(() => logged(new RegExp(`queue ${escape(topology().deadLetterQueue)} is missing`), since), 'the log line of the missing dead-letter queue');
    await waitFor(() => logged(/^info restored .*serving again/, since), 'the log line of the restore', 30_000);
    const before = await deadLetters();
    admin.channel.sendToQueue(topology().chatQueue, Buffer.from('not json {'));
    await waitFor(async () => (await deadLetters()) === before + 1, 'the refused input in the restored dead-letter queue');
    await conversation('after dead-letter queue deleted', 5);
  });

  it('unbinding the dead-letter queue from its exchange: the next check binds it again, and refused input reaches it', async () => {
    await admin.channel.unbindQueue(topology().deadLetterQueue, topology().deadLetterExchange, '');
    // Open mode has no broker event to log this from, and a probe message would sit in the queue
    // (counted, never delivered): the watch binds it again on every check (250 ms here) instead.
    await sleep(1500);
    const before = await deadLetters();
    admin.channel.sendToQueue(topology().chatQueue, Buffer.from('still not json {'));
    await waitFor(async () => (await deadLetters()) === before + 1, 'the refused input in the dead-letter queue');
    await sleep(1000);
    // Exactly one: nothing else (no probe of the watch) is counted in the dead-letter queue.
    expect(await deadLetters()).toBe(before + 1);
  });

  it("unbinding bob's room binding: bob's watch binds it again within a heartbeat and history fills the gap", async () => {
    // Only bob's own connection may touch his exclusive queue: done on a channel of his link, as an operator's tool would.
    const channel = await bobChannel();
    await channel.unbindQueue(topology().clientQueue(bob.clientId), topology().eventsExchange, topology().roomRoutingKey(DEFAULT_ROOM));
    await channel.close().catch(() => undefined);
    // Sent while bob is unbound: he gets them from history once a later message shows the gap.
    const texts = ['unbound 0', 'unbound 1', 'unbound 2'];
    totals.sent += texts.length;
    await Promise.all(texts.map((text) => alice.send(text)));
    totals.accepted += texts.length;
    await sleep(2500);
    await conversation('after bob re-bound', 3);
    const seen = texts.filter((text) => bobView.some((event) => event.text === text)).length;
    totals.seenByBob += seen;
    totals.lost += texts.length - seen;
    expect(seen).toBe(texts.length);
  });

  it("deleting bob's own queue: bob says so, reconnects and misses nothing", async () => {
    const noticesBefore = bobNotices.length;
    const queue = topology().clientQueue(bob.clientId);
    const channel = await bobChannel();
    // The broker cancels bob's consumer at once and his link reconnects, often before this delete
    // is answered or this channel's close is: the queue goes either way, and the close settles
    // either way (amqplib's own close() would wait for good: shared/throwaway-channel.ts).
    await channel.deleteQueue(queue).catch(() => undefined);
    await closeThrowawayChannel(channel);
    // One notice, whichever sign bob read first: his consumer's cancel or his binding watch's check.
    const lost = await waitFor(() => bobNotices.slice(noticesBefore).find((n) => n.state === 'lost'), "bob's notice of his lost queue");
    expect(lost.what).toContain(`our queue ${queue} was deleted`);
    await conversation('after bob lost his queue', 10);
    expect(bobNotices.slice(noticesBefore).filter((n) => n.state === 'lost')).toHaveLength(1);
  });
});
