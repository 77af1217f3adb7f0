import type { ConfirmChannel } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { DEFAULT_ROOM, ERROR_CODES, LIMITS, isWarrenError, type ChatEvent, type HistoryList, type RoomInfo, type Topology } from '../../shared/index.js';
import { RoomSequencer } from './room-sequencer.js';

/** How long to wait before asking again for history that went unanswered. */
const GAP_RETRY_MS = 1000;

export interface RoomFeedDeps {
  channel: ChannelWrapper;
  topology: Topology;
  /** The client's own queue, which public rooms' routing keys are bound to. */
  queue: string;
  /** Adds a setup replayed after every reconnect, run once our queue is declared on that channel (ClientLink.addQueueSetup). */
  addQueueSetup(setup: (channel: ConfirmChannel) => Promise<void>): Promise<(channel: ConfirmChannel) => Promise<void>>;
  fetchHistory(room: string, afterSeq: number, limit: number): Promise<HistoryList>;
  /** Called once per message, in each room's order; `recent` is false for the history shown on login or join. */
  show(event: ChatEvent, recent: boolean): void;
  /** False while logged out or closed: no history is fetched then. */
  canFetch(): boolean;
}

/**
 * The rooms a client follows: for each, its routing-key binding (public rooms, re-bound after
 * every reconnect), its sequencer, and the filling of gaps from history, so each room's messages
 * are shown in the coordinator's order, exactly once.
 */
export class RoomFeed {
  private readonly sequencers = new Map<string, RoomSequencer>();
  private readonly joined = new Map<string, RoomInfo>();
  private readonly bindings = new Map<string, (channel: ConfirmChannel) => Promise<void>>();
  private readonly fetching = new Set<string>();
  /** Rooms whose gap was reported again while a fetch was under way. */
  private readonly fetchAgain = new Set<string>();
  private readonly retries = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: RoomFeedDeps) {}

  /** Rooms I am in, general first. */
  get rooms(): RoomInfo[] {
    return [...this.joined.values()];
  }

  isFollowing(room: string): boolean {
    return this.joined.has(room);
  }

  /** Starts following a room (or takes new history for it): bind its key and show the history in order. */
  async follow(room: RoomInfo, history: ChatEvent[]): Promise<void> {
    this.joined.set(room.name, room);
    if (room.routingKey && room.name !== DEFAULT_ROOM && !this.bindings.has(room.name)) {
      const routingKey = room.routingKey;
      const bind = async (channel: ConfirmChannel): Promise<void> => {
        await channel.bindQueue(this.deps.queue, this.deps.topology.eventsExchange, routingKey);
      };
      // Runs now and again after every reconnect; what was registered is what unfollow removes.
      this.bindings.set(room.name, bind);
      const registered = await this.deps.addQueueSetup(bind);
      if (this.bindings.get(room.name) === bind) this.bindings.set(room.name, registered);
    }
    const sequencer = this.sequencers.get(room.name);
    if (sequencer && sequencer.lastSeq !== undefined) this.deliver(room.name, sequencer.accept(history), false);
    else this.deliver(room.name, this.sequencerFor(room.name).start(room.lastSeq, history), false);
  }

  /**
   * A private chat the coordinator archived under a new name (the other person's guest name
   * ended): its messages and order go on under `to`; a new chat under the old name starts afresh.
   */
  rename(from: string, to: string): void {
    const room = this.joined.get(from);
    if (room) this.joined.set(to, { ...room, name: to });
    this.joined.delete(from);
    const sequencer = this.sequencers.get(from);
    if (sequencer) this.sequencers.set(to, sequencer);
    this.sequencers.delete(from);
  }

  /** Routing keys of the public rooms followed beyond general (bound by `follow`). */
  get boundRoutingKeys(): string[] {
    return [...this.bindings.keys()].map((room) => this.joined.get(room)?.routingKey ?? this.deps.topology.roomRoutingKey(room));
  }

  async unfollow(room: string): Promise<void> {
    this.joined.delete(room);
    this.sequencers.delete(room);
    const bind = this.bindings.get(room);
    if (!bind) return;
    this.bindings.delete(room);
    const routingKey = this.deps.topology.roomRoutingKey(room);
    await this.deps.channel
      .removeSetup(bind, async (channel: ConfirmChannel) => {
        await channel.unbindQueue(this.deps.queue, this.deps.topology.eventsExchange, routingKey);
      })
      .catch(() => undefined);
  }

  /** A message pushed to us live. A private chat is followed from its first message seen here on. */
  acceptLive(event: ChatEvent): void {
    const sequencer = this.sequencerFor(event.room);
    if (sequencer.lastSeq === undefined && event.to !== undefined) {
      this.deliver(event.room, sequencer.start(event.seq - 1, [event]), true);
      return;
    }
    this.deliver(event.room, sequencer.accept([event]), true);
  }

  /** Follows a room from just before `seq` if not followed yet (a held private message), so a later fill shows it. */
  followFrom(room: string, seq: number): void {
    const sequencer = this.sequencerFor(room);
    if (sequencer.lastSeq === undefined) sequencer.start(seq - 1, []);
  }

  /** After a reconnect or the chat's activation: fetch whatever every room missed. */
  fillAll(): void {
    for (const room of this.sequencers.keys()) void this.fillGap(room);
  }

  stop(): void {
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
  }

  private sequencerFor(room: string): RoomSequencer {
    let sequencer = this.sequencers.get(room);
    if (!sequencer) {
      sequencer = new RoomSequencer();
      this.sequencers.set(room, sequencer);
    }
    return sequencer;
  }

  private deliver(room: string, result: { deliver: ChatEvent[]; fetchAfter?: number }, recent: boolean): void {
    for (const event of result.deliver) this.deps.show(event, recent);
    if (result.fetchAfter !== undefined) void this.fillGap(room);
  }

  /** Fetches everything after the last message shown in a room, page by page, and shows it in order, once. */
  private async fillGap(room: string): Promise<void> {
    if (!this.deps.canFetch()) return;
    if (this.fetching.has(room)) {
      // Asked again while a fetch is out (a reconnect, a new gap): fetch once more when it is done.
      this.fetchAgain.add(room);
      return;
    }
    this.fetching.add(room);
    let retry = false;
    try {
      for (;;) {
        this.fetchAgain.delete(room);
        const sequencer = this.sequencers.get(room);
        const afterSeq = sequencer?.lastSeq;
        if (!sequencer || afterSeq === undefined) return;
        const page = await this.deps.fetchHistory(room, afterSeq, LIMITS.maxHistoryPage);
        const full = page.messages.length === LIMITS.maxHistoryPage;
        const coveredTo = full ? (page.messages.at(-1)?.seq ?? afterSeq) : page.lastSeq;
        // Missed while away (or held until activation): new to the user, so shown as recent.
        for (const event of sequencer.accept(page.messages, coveredTo).deliver) this.deps.show(event, true);
        if (!full && !this.fetchAgain.has(room)) return;
      }
    } catch (err) {
      // Unanswered (the coordinator is away): ask again. Any other refusal ends the fetch.
      retry = isWarrenError(err, ERROR_CODES.REQUEST_TIMEOUT);
    } finally {
      this.fetching.delete(room);
    }
    if (retry) {
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        void this.fillGap(room);
      }, GAP_RETRY_MS);
      this.retries.add(timer);
    }
  }
}
