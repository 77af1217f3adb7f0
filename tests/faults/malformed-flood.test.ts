import { randomBytes } from 'node:crypto';
import type { WarrenClient } from '../../client/lib/warren-client.js';
import { topologyFor } from '../../shared/index.js';
import { badPayloads } from '../support/bad-payloads.js';
import { rawChannel } from '../support/broker.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { addCheck, compareIds, delivered, fullHistory, loggedMessages, record, report, zeroes, type ClientRecord } from '../support/fault-kit.js';
import { waitFor } from '../support/wait.js';

/**
 * 10,000 random and malformed payloads on both input queues while three people chat. The
 * coordinator must stay up, the conversation must be complete, and every bad payload must be
 * answered with an error or be found in the dead-letter queue.
 */

const BAD = 10_000;
const PER_CLIENT = 100;
const SEED = Number(process.env.WARREN_FAULT_SEED ?? 20_240_611);

describe('a flood of malformed payloads during a conversation', () => {
  let running: RunningCoordinator;
  let raw: Awaited<ReturnType<typeof rawChannel>> | undefined;

  beforeAll(async () => {
    running = await startCoordinator();
  });
  afterAll(async () => {
    await raw?.close();
    await running.stop();
  });

  it('keeps the coordinator up, the conversation whole, and answers or dead-letters every bad payload', async () => {
    const topology = topologyFor(running.namespace);
    const clients: ClientRecord[] = [];
    for (const name of ['ana', 'bruno', 'chen']) {
      const client = await running.client();
      await client.login(name);
      clients.push(record(name, client));
    }

    // The probe is where replies to the bad payloads that name a reply queue arrive.
    raw = await rawChannel();
    const channel = raw.channel;
    const probeId = `probe${randomBytes(4).toString('hex')}`;
    const probeQueue = topology.clientQueue(probeId);
    await channel.assertQueue(probeQueue, { exclusive: true, autoDelete: true });
    let errorReplies = 0;
    let otherReplies = 0;
    await channel.consume(
      probeQueue,
      (msg) => {
        if (!msg) return;
        const body = JSON.parse(msg.content.toString('utf8')) as { type?: string };
        if (body.type === 'error') errorReplies += 1;
        else otherReplies += 1;
      },
      { noAck: true },
    );

    const payloads = badPayloads(BAD, SEED, probeId);
    const modes = { probe: 0, none: 0, bogus: 0 };
    const mustBeDeadLettered: string[] = [];
    const flood = async (): Promise<void> => {
      for (const [index, payload] of payloads.entries()) {
        const mode = payload.loginAsProbe ? 'probe' : (['probe', 'none', 'bogus'] as const)[index % 3] ?? 'none';
        modes[mode] += 1;
        // Matched by message id: the dead-letter copy of a body may differ (a token in it is blanked).
        const messageId = `bad-${index}`;
        if (mode !== 'probe') mustBeDeadLettered.push(messageId);
        const replyTo = mode === 'probe' ? probeQueue : mode === 'bogus' ? `${topology.chatQueue}` : undefined;
        channel.sendToQueue(payload.queue === 'chat' ? topology.chatQueue : topology.commandQueue, payload.content, {
          persistent: true,
          messageId,
          ...(replyTo ? { replyTo } : {}),
          ...(payload.headers ? { headers: payload.headers } : {}),
        });
        if (index % 500 === 499) await channel.waitForConfirms();
      }
      await channel.waitForConfirms();
    };
    const conversation = async (entry: ClientRecord): Promise<PromiseSettledResult<unknown>[]> => {
      const sends: Promise<unknown>[] = [];
      for (let index = 0; index < PER_CLIENT; index += 1) {
        sends.push(entry.client.send(`${entry.name} says ${index}`));
        if (index % 20 === 19) await Promise.allSettled(sends);
      }
      return Promise.allSettled(sends);
    };
    const [, ...talks] = await Promise.all([flood(), ...clients.map(conversation)]);
    const refused = talks.flat().filter((outcome) => outcome.status === 'rejected').length;

    const rejectedLines = (): number => running.logLines().filter((line) => line.includes(' REJECTED ')).length;
    await waitFor(() => rejectedLines() >= BAD && errorReplies >= modes.probe, () => `every payload refused (${rejectedLines()} logged, ${errorReplies} answered)`, 120_000);

    // Still serving: a newcomer can log in and talk.
    const newcomer: WarrenClient = await running.client();
    await newcomer.login('dora');
    await newcomer.send('am I late?');
    const total = clients.length * PER_CLIENT + 1;
    await waitFor(() => clients.every((entry) => entry.view.length >= total), 'everyone to see the whole conversation', 30_000);
    const history = await fullHistory(newcomer);
    const log = loggedMessages(running.logLines());

    // Stopping finishes the coordinator's in-flight work, so the dead-letter queue is complete.
    await running.coordinator.stop();
    const deadLetters = new Set<string>();
    const byCode = new Map<string, number>();
    const waiting = (await channel.checkQueue(topology.deadLetterQueue)).messageCount;
    let received = 0;
    await channel.consume(
      topology.deadLetterQueue,
      (msg) => {
        if (!msg) return;
        received += 1;
        deadLetters.add(String(msg.properties.messageId));
        const code = String(msg.properties.headers?.['x-warren-error-code']);
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
      },
      { noAck: true },
    );
    await waitFor(() => received >= waiting, 'the dead-letter queue to be read', 60_000);
    const notDeadLettered = mustBeDeadLettered.filter((messageId) => !deadLetters.has(messageId)).length;

    const reference = history.map((event) => event.id);
    const differences: Record<string, number> = {
      conversationRefused: refused,
      conversationSentMinusStored: total - history.length,
      storedMinusLogged: history.length - log.length,
      probeErrorRepliesMinusSent: errorReplies - modes.probe,
      probeRepliesThatWereNotErrors: otherReplies,
      unansweredNotDeadLettered: notDeadLettered,
      rejectedLogLinesMinusBad: rejectedLines() - BAD,
      deadLettersWithoutCode: byCode.get('undefined') ?? 0,
      deadLettersCopiedTwice: received - deadLetters.size,
    };
    for (const entry of clients) addCheck(differences, entry.name, compareIds(entry.view.map((event) => event.id), reference));
    const counts = {
      seed: SEED,
      bad: BAD,
      withReplyToProbe: modes.probe,
      withoutReplyTo: modes.none,
      withBogusReplyTo: modes.bogus,
      errorReplies,
      deadLettered: received,
      conversationSent: total,
      stored: history.length,
      logged: log.length,
      ...delivered(clients),
    };
    process.stdout.write(`  dead letters by code: ${[...byCode].map(([code, n]) => `${code}=${n}`).join(' ')}\n`);
    expect(report('10,000 malformed payloads during a conversation', counts, differences)).toEqual(zeroes(differences));
  }, 240_000);
});
