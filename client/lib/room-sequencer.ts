import type { ChatEvent } from '../../shared/index.js';

export interface SequencerResult {
  /** Messages to show now, in order, each exactly once. */
  deliver: ChatEvent[];
  /** Set when a gap was seen: fetch history after this sequence number. */
  fetchAfter?: number;
}

/**
 * Puts one room's messages in the coordinator's order and drops repeats. Messages that arrive
 * ahead of a gap wait until the gap is filled from history.
 */
export class RoomSequencer {
  private last: number | undefined;
  private readonly waiting = new Map<number, ChatEvent>();

  /** Before the first `start`, everything is held: the client does not yet know where it stands. */
  get lastSeq(): number | undefined {
    return this.last;
  }

  start(lastSeq: number, history: ChatEvent[]): SequencerResult {
    const base = Math.min(lastSeq, ...history.map((event) => event.seq - 1));
    this.last = Number.isFinite(base) ? base : lastSeq;
    return this.accept(history);
  }

  /**
   * `coveredTo`: these events are a history page that is complete up to that sequence number, so
   * a number missing from it belongs to a message deleted or expired since: skip it, do not wait.
   */
  accept(events: ChatEvent[], coveredTo?: number): SequencerResult {
    for (const event of events) {
      if (this.last === undefined || event.seq > this.last) this.waiting.set(event.seq, event);
    }
    if (this.last === undefined) return { deliver: [] };
    const deliver: ChatEvent[] = [];
    for (;;) {
      const next = this.waiting.get(this.last + 1);
      if (next) {
        this.waiting.delete(next.seq);
        deliver.push(next);
        this.last = next.seq;
      } else if (coveredTo !== undefined && this.last < coveredTo) {
        this.last += 1;
      } else {
        break;
      }
    }
    for (const seq of this.waiting.keys()) if (seq <= this.last) this.waiting.delete(seq);
    return this.waiting.size > 0 ? { deliver, fetchAfter: this.last } : { deliver };
  }
}
