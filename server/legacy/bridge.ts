import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { DEFAULT_ROOM, ERROR_CODES, LIMITS, WarrenError, closeThrowawayChannel, nameKey, type ChatEvent } from '../../shared/index.js';
import type { CoordinatorExtension, ExtensionHost, ExtensionWork } from '../extension.js';
import { departure } from '../handlers/departure.js';
import { refusal } from '../handlers/refusal.js';
import { InFlight } from '../in-flight.js';
import type { Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import { handleLegacyInput, type LegacyResult } from './handler.js';
import { PresenceWatch, probeQueue } from './presence.js';
import { LEGACY, LEGACY_DECLARATIONS, chatLine, legacyDeadLetterBody } from './protocol.js';
import { isLegacyQueue, isLegacySession, legacySessions } from './sessions.js';

/** How long a login reply waits for the client's queue to be bound before it is given up. */
const LOGIN_REPLY_WAIT_MS = 5000;
const RETRY_ROUTING_MS = 50;

/** Legacy clients' queues are checked every third of the session timeout, within 0.2–5 s. */
function presenceCheckMs(sessionTimeoutMs: number): number {
  return Math.max(200, Math.min(5000, Math.floor(sessionTimeoutMs / 3)));
}

/**
 * Serves the Actividad 2 protocol next to warren's own: consumes `server_pending_messages`,
 * answers on `user_channel`, and passes the public chat (room general) on to `broadcast`, in both
 * directions. Legacy users live in warren's registry and store; see docs/LEGACY.md.
 */
export class LegacyBridge implements CoordinatorExtension {
  private host: ExtensionHost | undefined;
  private work: ((work: ExtensionWork) => void) | undefined;
  private channel: ChannelWrapper | undefined;
  private consumer: { channel: ConfirmChannel; tag: string } | undefined;
  private presence: PresenceWatch | undefined;
  private inFlight: InFlight | undefined;
  /** Ids of our mandatory publishes the broker returned as unroutable. */
  private readonly returned = new Set<string>();
  /** Highest sequence number of general passed on to `broadcast`: a redelivery is not shown twice. */
  private lastBroadcastSeq: number | undefined;
  private stopping = false;

  onWork(listener: (work: ExtensionWork) => void): void {
    this.work = listener;
  }

  async start(host: ExtensionHost): Promise<void> {
    this.host = host;
    // A request whose work failed was nacked and comes back; a vanished client is checked again.
    this.inFlight = new InFlight(host.logger, 'legacy work not finished');
    await this.refuseIfServedElsewhere(host);
    let served = false;
    await new Promise<void>((resolve, reject) => {
      const channel = host.connection.createChannel(async (raw: ConfirmChannel) => {
        await this.setup(raw);
        served = true;
        resolve();
      }, 'legacy');
      this.channel = channel;
      channel.on('error', (err) => {
        const message = err instanceof Error ? err.message : String(err);
        // The first setup failing (say, `broadcast` declared elsewhere with other properties) fails the start.
        if (!served) reject(new WarrenError(ERROR_CODES.CONFIG_INVALID, `legacy mode: cannot set up ${LEGACY.requestQueue}, ${LEGACY.replyExchange} and ${LEGACY.chatExchange}: ${message}`));
        else host.logger.error(`legacy channel error: ${message}`);
      });
    });
    this.presence = new PresenceWatch({
      intervalMs: presenceCheckMs(host.sessionTimeoutMs),
      sessions: () => legacySessions(host.context(new Date()).registry),
      probe: (queue) => probeQueue(host.connection, queue),
      onGone: (session) => this.vanished(session),
      onError: (err) => host.logger.warn(`legacy presence check failed: ${err instanceof Error ? err.message : String(err)}`),
    });
    this.presence.start();
  }

  /**
   * Warren traffic to a legacy session (a private message, a held-message notice) has no way to
   * reach those clients: it is not published at all.
   */
  takesOver(queue: string): boolean {
    return isLegacyQueue(queue);
  }

  /** The public chat of general, and the backlog once the chat activates, go on to `broadcast`. */
  observe(outcome: Readonly<Outcome>): void {
    if (!this.channel || this.stopping) return;
    for (const { body } of outcome.events) {
      if (body.type === 'activated') this.broadcastBacklog();
      else if (body.type === 'message' && body.room === DEFAULT_ROOM && body.to === undefined) this.broadcast(body);
    }
  }

  keepsAlive(session: Session): boolean {
    return isLegacySession(session);
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.presence?.stop();
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.channel.cancel(consumer.tag).catch(() => undefined);
    await this.inFlight?.settled();
    await this.channel?.close().catch(() => undefined);
  }

  /**
   * The names are global on the broker: a second coordinator serving them would split the
   * requests between two registries. Refuse to start rather than do that.
   */
  private async refuseIfServedElsewhere(host: ExtensionHost): Promise<void> {
    const channel = await host.connection.openThrowawayChannel();
    if (!channel) return;
    channel.on('error', () => undefined);
    try {
      const { consumerCount } = await channel.checkQueue(LEGACY.requestQueue);
      if (consumerCount > 0) {
        throw new WarrenError(
          ERROR_CODES.CONFIG_INVALID,
          `legacy mode: ${LEGACY.requestQueue} is already consumed (${consumerCount} consumer(s)); another coordinator serves the legacy protocol on this broker, and the names cannot be namespaced (see docs/LEGACY.md)`,
        );
      }
    } catch (err) {
      if ((err as { code?: unknown }).code !== 404) throw err;
    } finally {
      await closeThrowawayChannel(channel);
    }
  }

  private async setup(channel: ConfirmChannel): Promise<void> {
    const { replyExchange, chatExchange, requestQueue } = LEGACY_DECLARATIONS;
    await channel.assertExchange(LEGACY.replyExchange, replyExchange.type, replyExchange.options);
    await channel.assertExchange(LEGACY.chatExchange, chatExchange.type, chatExchange.options);
    await channel.assertQueue(LEGACY.requestQueue, requestQueue);
    await channel.prefetch(this.host?.prefetch ?? 1);
    channel.on('return', (msg: ConsumeMessage) => {
      const id = msg.properties.messageId as unknown;
      if (typeof id === 'string') this.returned.add(id);
    });
    const { consumerTag } = await channel.consume(LEGACY.requestQueue, (msg) => this.onDelivery(channel, msg));
    this.consumer = { channel, tag: consumerTag };
    this.host?.logger.info(`legacy mode: serving ${LEGACY.requestQueue}`);
  }

  private onDelivery(channel: ConfirmChannel, msg: ConsumeMessage | null): void {
    const host = this.host;
    if (!host) return;
    if (!msg) {
      host.logger.error(`legacy mode: the broker cancelled the consumer of ${LEGACY.requestQueue} (was the queue deleted?)`);
      return;
    }
    if (this.stopping) return;
    let result: LegacyResult;
    try {
      result = handleLegacyInput(msg.content, host.context(new Date()));
    } catch (err) {
      const reason = err instanceof Error ? (err.stack ?? err.message) : String(err);
      host.logger.error(`failed to handle a legacy request${msg.fields.redelivered ? ' again' : ''}: ${reason}`);
      // A classic queue does not count deliveries: one retry, then dead-letter it.
      if (!msg.fields.redelivered) {
        settle(() => channel.nack(msg, false, true));
        return;
      }
      result = { outcome: this.gaveUp(err) };
    }
    this.track(
      this.carryOut(result, msg).then(
        () => settle(() => channel.ack(msg)),
        (err: unknown) => {
          settle(() => channel.nack(msg, false, true));
          throw err;
        },
      ),
    );
  }

  private gaveUp(err: unknown): Outcome {
    const outcome = refusal({
      queue: LEGACY.requestQueue,
      code: ERROR_CODES.INTERNAL,
      reason: 'the coordinator failed to handle this request twice; it was dead-lettered',
      serverTs: new Date().toISOString(),
      replyTo: undefined,
    });
    outcome.deadLetter = { code: ERROR_CODES.INTERNAL, reason: err instanceof Error ? err.message : String(err) };
    return outcome;
  }

  /** The coordinator's path first (log, warren publishes), then the dead-letter copy and the legacy reply. */
  private async carryOut(result: LegacyResult, msg: ConsumeMessage): Promise<void> {
    const host = this.host;
    const channel = this.channel;
    if (!host || !channel) return;
    await this.submit(result.outcome);
    const pending: Promise<unknown>[] = [];
    const deadLetter = result.outcome.deadLetter;
    if (deadLetter) {
      pending.push(
        channel.publish(host.topology.deadLetterExchange, '', legacyDeadLetterBody(msg.content), {
          persistent: true,
          contentType: msg.properties.contentType as string | undefined,
          headers: {
            'x-warren-error-code': deadLetter.code,
            'x-warren-error-reason': deadLetter.reason,
            'x-warren-source-queue': LEGACY.requestQueue,
            'x-warren-rejected-at': new Date().toISOString(),
          },
        }),
      );
    }
    if (result.reply) pending.push(this.reply(result.reply));
    await Promise.all(pending);
  }

  /**
   * Published as mandatory: if the client's queue is not bound yet the broker returns it, and a
   * login reply is tried again until the queue is there (those clients wait for it forever).
   */
  private async reply(reply: NonNullable<LegacyResult['reply']>): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    const body = Buffer.from(JSON.stringify(reply.body));
    const deadline = Date.now() + (reply.waitForQueue ? LOGIN_REPLY_WAIT_MS : 0);
    for (;;) {
      const messageId = randomUUID();
      await channel.publish(LEGACY.replyExchange, reply.clientUuid, body, { mandatory: true, messageId, contentType: 'application/json' });
      if (!this.returned.delete(messageId)) return;
      if (Date.now() >= deadline || this.stopping) {
        this.host?.logger.warn(`legacy reply ${reply.body.type} to client ${reply.clientUuid} dropped: no queue of that client is bound to ${LEGACY.replyExchange}`);
        return;
      }
      await delay(RETRY_ROUTING_MS);
    }
  }

  private broadcast(event: ChatEvent): void {
    if (this.lastBroadcastSeq !== undefined && event.seq <= this.lastBroadcastSeq) return;
    this.lastBroadcastSeq = event.seq;
    const host = this.host;
    const channel = this.channel;
    if (!host || !channel) return;
    // Not the sender's client uuid: it is the only credential a legacy client has.
    const sender = host.context(new Date()).registry.find(nameKey(event.from));
    const line = chatLine(event, sender?.sessionId ?? event.id);
    // Best effort, like the original: legacy trouble must never hold up warren's own inputs.
    this.track(
      channel.publish(LEGACY.chatExchange, '', Buffer.from(JSON.stringify(line))).then(
        () => undefined,
        (err: unknown) => host.logger.warn(`legacy broadcast of message ${event.seq} failed: ${err instanceof Error ? err.message : String(err)}`),
      ),
    );
  }

  /** The chat just became active (MIN_USERS): legacy clients get what was held, like warren clients. */
  private broadcastBacklog(): void {
    const store = this.host?.context(new Date()).store;
    if (!store) return;
    for (const event of store.history(DEFAULT_ROOM, { afterSeq: this.lastBroadcastSeq ?? 0, limit: LIMITS.maxHistoryPage })) {
      if (event.to === undefined) this.broadcast(event);
    }
  }

  private vanished(session: Session): void {
    const host = this.host;
    if (!host || this.stopping) return;
    const ctx = host.context(new Date());
    if (ctx.registry.find(session.nameKey)?.sessionId !== session.sessionId) return;
    host.logger.info(`legacy client of ${session.name} is gone (its queue ${session.clientId} no longer exists); name freed`);
    this.track(this.submit(departure(session, 'timeout', ctx)));
  }

  /** Hands an outcome to the coordinator's publisher; resolves once it is carried out (logged, published, confirmed). */
  private submit(outcome: Outcome): Promise<void> {
    const work = this.work;
    if (!work) return Promise.reject(new Error('legacy bridge: nothing carries out its outcomes (onWork was not called)'));
    return new Promise((resolve, reject) => work({ outcome, settled: (err) => (err === undefined ? resolve() : reject(err)) }));
  }

  private track(work: Promise<void>): void {
    this.inFlight?.track(work);
  }
}

function settle(action: () => void): void {
  try {
    action();
  } catch {
    /* channel gone: the broker redelivers */
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
