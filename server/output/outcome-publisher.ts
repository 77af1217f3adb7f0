import type { ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { PRESENCE_ROUTING_KEY, type Topology } from '../../shared/index.js';
import type { CoordinatorExtension } from '../extension.js';
import type { ChatLog } from '../log/chat-log.js';
import type { Outcome } from '../outcome.js';
import { deadLetterBody } from './dead-letter-body.js';
import { DeliveryGroups } from './delivery-groups.js';
import { PresenceBatcher } from './presence-batcher.js';

/** The input an outcome answers, for the dead-letter copy and its headers. */
export interface OutcomeSource {
  queue: string;
  msg: ConsumeMessage;
  /** Deliveries so far, this one included. */
  attempts: number;
}

export interface OutcomePublisherOptions {
  topology: Topology;
  chatLog: ChatLog;
  /** The coordinator's confirm channel; undefined before start (nothing is published then). */
  channel: () => ChannelWrapper | undefined;
  extension?: Pick<CoordinatorExtension, 'observe' | 'takesOver'> | undefined;
  /**
   * Secure mode: the coordinator's broker user, set as `userId` on everything published, so
   * clients can check (the broker refuses a userId that is not the publisher's login).
   */
  userId?: string | undefined;
  /** Secure mode: sessions that ended; `revoke` runs before publishing, `disconnect` after the confirms. */
  endedSessions?: { revoke(clientIds: readonly string[]): void; disconnect(clientIds: readonly string[]): void } | undefined;
  /** Bytes of a refused body its dead-letter copy keeps (dead-letter-body.ts). */
  deadLetterBodyBytes?: number | undefined;
  /** Who takes batched deliveries (the registry): none given, every message goes out on its own. */
  batching?: { takesBatches(queue?: string): boolean } | undefined;
}

const json = (body: unknown): Buffer => Buffer.from(JSON.stringify(body));

/**
 * Carries out what a handler decided, always in the same order: the log lines, then `afterLog`,
 * then every publish (events, replies, the dead-letter copy), waiting for the broker's confirms.
 * The caller acks its input only after this resolves.
 */
export class OutcomePublisher {
  private readonly presence: PresenceBatcher;
  private readonly properties: { contentType: string; userId?: string };

  constructor(private readonly options: OutcomePublisherOptions) {
    this.properties = { contentType: 'application/json', ...(options.userId === undefined ? {} : { userId: options.userId }) };
    this.presence = new PresenceBatcher((body) => {
      const channel = options.channel();
      return channel ? channel.publish(options.topology.eventsExchange, PRESENCE_ROUTING_KEY, json(body), { ...this.properties }) : Promise.resolve();
    });
  }

  /** The log lines of a batch of outcomes in one write, in acceptance order (then carry each out with `logged`). */
  log(outcomes: readonly Outcome[]): void {
    // Two copies of one input in one turn (a client sent it again after a reconnect and both
    // reached the queue) both find the message stored and not yet logged: it gets one line.
    const messageIds = new Set<string>();
    const lines = outcomes
      .flatMap((outcome) => outcome.log)
      .filter((entry) => {
        if (entry.kind !== 'MESSAGE') return true;
        if (messageIds.has(entry.id)) return false;
        messageIds.add(entry.id);
        return true;
      });
    this.options.chatLog.appendMany(lines);
  }

  /** Log first (unless `logged`: the caller wrote the lines already), then publish and wait for the confirms. */
  async carryOut(outcome: Outcome, { logged = false, source }: { logged?: boolean; source?: OutcomeSource } = {}): Promise<void> {
    if (!logged) this.options.chatLog.appendMany(outcome.log);
    await this.carryOutTurn([{ outcome, source }]);
  }

  /**
   * The outcomes of one turn, whose log lines are written already, in acceptance order: what each
   * does after its lines, then every publish, waiting for all their confirms. A room's events of
   * the turn leave as one delivery, and so do the replies to one client, when the receivers take
   * batches (docs/PROTOCOL.md §3.5); the items keep the order in which they were produced.
   */
  async carryOutTurn(entries: readonly { outcome: Outcome; source?: OutcomeSource | undefined }[]): Promise<void> {
    const { topology, extension } = this.options;
    for (const { outcome } of entries) {
      outcome.afterLog?.();
      extension?.observe(outcome);
      // Refused at the broker from now on, even before the goodbye is published.
      if (outcome.ended?.length) this.options.endedSessions?.revoke(outcome.ended);
    }
    const channel = this.options.channel();
    if (!channel) return;
    const publishes: Promise<unknown>[] = [];
    const events = new DeliveryGroups();
    const replies = new DeliveryGroups();
    for (const { outcome, source } of entries) {
      for (const event of outcome.events) {
        if (event.body.type === 'presence') {
          // Coalesced with other changes close in time; the ack still waits for its confirm.
          publishes.push(this.presence.add(event.body));
        } else if (event.routingKey === PRESENCE_ROUTING_KEY) {
          // Anything else on the presence key (activation) must not overtake the changes before it.
          this.presence.flush();
          publishes.push(channel.publish(topology.eventsExchange, event.routingKey, json(event.body), { ...this.properties }));
        } else events.add(event.routingKey, event.body);
      }
      for (const reply of outcome.replies) {
        // Traffic to an extension's own clients (a legacy session) has no warren queue to go to.
        if (!extension?.takesOver(reply.queue)) replies.add(reply.queue, reply.body, 'requestId' in reply.body ? reply.body.requestId : undefined);
      }
      if (outcome.deadLetter && source) publishes.push(this.deadLetter(channel, outcome.deadLetter, source));
    }
    const batching = this.options.batching;
    // Asked only when a room has several events, and once.
    let roomsTakeBatches: boolean | undefined;
    for (const { target, body } of events.deliveries(() => (roomsTakeBatches ??= batching?.takesBatches() ?? false))) {
      publishes.push(channel.publish(topology.eventsExchange, target, body, { ...this.properties }));
    }
    for (const { target, body, correlationId } of replies.deliveries((queue) => batching?.takesBatches(queue) ?? false)) {
      publishes.push(channel.sendToQueue(target, body, { ...this.properties, ...(correlationId ? { correlationId } : {}) }));
    }
    await Promise.all(publishes);
    for (const { outcome } of entries) {
      if (outcome.ended?.length) this.options.endedSessions?.disconnect(outcome.ended);
    }
  }

  private deadLetter(channel: ChannelWrapper, deadLetter: NonNullable<Outcome['deadLetter']>, source: OutcomeSource): Promise<unknown> {
    const { msg } = source;
    return channel.publish(this.options.topology.deadLetterExchange, '', deadLetterBody(msg.content, this.options.deadLetterBodyBytes), {
      persistent: true,
      contentType: msg.properties.contentType,
      ...(this.options.userId === undefined ? {} : { userId: this.options.userId }),
      // The sender's own message id, if it set one, so a dead letter can be traced back.
      ...(typeof msg.properties.messageId === 'string' ? { messageId: msg.properties.messageId } : {}),
      headers: {
        'x-warren-error-code': deadLetter.code,
        'x-warren-error-reason': deadLetter.reason,
        'x-warren-source-queue': source.queue,
        'x-warren-rejected-at': new Date().toISOString(),
        'x-warren-attempts': source.attempts,
        'x-warren-original-bytes': msg.content.length,
      },
    });
  }

  /** Publishes what waits now; later presence changes (inputs still in hand) go out at once. */
  stop(): void {
    this.presence.stop();
  }
}
