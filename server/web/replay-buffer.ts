import type { SequencedFrame, SessionFrame } from '../../shared/web-protocol.js';

/**
 * A session's outgoing frames, numbered from 1, the last `capacity` of them kept, so a page that
 * reconnects gets exactly the frames after the last one it saw: none lost, none twice.
 */
export class ReplayBuffer {
  private readonly frames: SequencedFrame[] = [];
  private nextSeq = 1;

  constructor(private readonly capacity: number) {}

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  push(frame: SessionFrame): SequencedFrame {
    const sequenced = { ...frame, seq: this.nextSeq } as SequencedFrame;
    this.nextSeq += 1;
    this.frames.push(sequenced);
    if (this.frames.length > this.capacity) this.frames.splice(0, this.frames.length - this.capacity);
    return sequenced;
  }

  /**
   * The frames after `lastSeq`, or undefined when some of them are no longer kept (or `lastSeq` is
   * from the future: a page of another gateway run), so the page must draw afresh.
   */
  after(lastSeq: number): SequencedFrame[] | undefined {
    if (lastSeq > this.lastSeq) return undefined;
    if (lastSeq === this.lastSeq) return [];
    const first = this.frames[0];
    if (first === undefined || first.seq > lastSeq + 1) return undefined;
    return this.frames.slice(lastSeq + 1 - first.seq);
  }
}
