import { RoomSequencer, type SequencerResult } from '../../client/lib/room-sequencer.js';
import { chatEvent } from '../support/samples.js';

const seqs = (result: SequencerResult): number[] => result.deliver.map((event) => event.seq);

describe('RoomSequencer', () => {
  it('delivers messages in order as they come', () => {
    const sequencer = new RoomSequencer();
    expect(seqs(sequencer.start(0, []))).toEqual([]);
    expect(sequencer.accept([chatEvent(1)])).toEqual({ deliver: [chatEvent(1)] });
    expect(seqs(sequencer.accept([chatEvent(2), chatEvent(3)]))).toEqual([2, 3]);
    expect(sequencer.lastSeq).toBe(3);
  });

  it('puts a batch that arrives out of order back in order', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    expect(seqs(sequencer.accept([chatEvent(3), chatEvent(1), chatEvent(2)]))).toEqual([1, 2, 3]);
  });

  it('drops a repeat of a delivered message, also one in the same batch', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    expect(seqs(sequencer.accept([chatEvent(1), chatEvent(1)]))).toEqual([1]);
    expect(sequencer.accept([chatEvent(1)])).toEqual({ deliver: [] });
    expect(seqs(sequencer.accept([chatEvent(2), chatEvent(1), chatEvent(2)]))).toEqual([2]);
  });

  it('drops a repeat of a message that is still waiting behind a gap', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    sequencer.accept([chatEvent(2)]);
    sequencer.accept([chatEvent(2)]);
    expect(seqs(sequencer.accept([chatEvent(1)]))).toEqual([1, 2]);
  });

  it('holds messages after a gap, asks for the history after the last one it delivered, and delivers once filled', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    sequencer.accept([chatEvent(1)]);
    expect(sequencer.accept([chatEvent(4)])).toEqual({ deliver: [], fetchAfter: 1 });
    expect(sequencer.accept([chatEvent(5)])).toEqual({ deliver: [], fetchAfter: 1 });
    // A history page fills the gap (and repeats what is already there).
    const filled = sequencer.accept([chatEvent(2), chatEvent(3), chatEvent(4)]);
    expect(seqs(filled)).toEqual([2, 3, 4, 5]);
    expect(filled.fetchAfter).toBeUndefined();
    expect(sequencer.lastSeq).toBe(5);
  });

  it('asks again from where it got to when a fill closes only part of the gap', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    sequencer.accept([chatEvent(5)]);
    expect(sequencer.accept([chatEvent(1), chatEvent(2)])).toEqual({ deliver: [chatEvent(1), chatEvent(2)], fetchAfter: 2 });
  });

  it('holds everything before it knows where the room stands, then delivers what follows on', () => {
    const sequencer = new RoomSequencer();
    expect(sequencer.lastSeq).toBeUndefined();
    // A live message can overtake the login reply that carries the history.
    expect(sequencer.accept([chatEvent(6)])).toEqual({ deliver: [] });
    expect(seqs(sequencer.start(5, [chatEvent(4), chatEvent(5)]))).toEqual([4, 5, 6]);
    expect(sequencer.lastSeq).toBe(6);
  });

  it('starts after the last message when there is no history to show', () => {
    const sequencer = new RoomSequencer();
    expect(sequencer.start(41, [])).toEqual({ deliver: [] });
    expect(sequencer.lastSeq).toBe(41);
    expect(seqs(sequencer.accept([chatEvent(42)]))).toEqual([42]);
    expect(sequencer.accept([chatEvent(40)])).toEqual({ deliver: [] });
  });

  it('delivers the history of the login reply in order, even if given unsorted', () => {
    const sequencer = new RoomSequencer();
    expect(seqs(sequencer.start(3, [chatEvent(3), chatEvent(1), chatEvent(2)]))).toEqual([1, 2, 3]);
  });

  it('finds the gap when history ends short of the next live message', () => {
    const sequencer = new RoomSequencer();
    expect(seqs(sequencer.start(4, [chatEvent(1), chatEvent(2)]))).toEqual([1, 2]);
    expect(sequencer.accept([chatEvent(4)])).toEqual({ deliver: [], fetchAfter: 2 });
    expect(seqs(sequencer.accept([chatEvent(3)]))).toEqual([3, 4]);
  });
});

/**
 * `coveredTo`: a history page complete up to that number. A number missing from such a page
 * belongs to a message deleted or expired since, so the sequencer must skip it, not wait forever.
 */
describe('RoomSequencer: history pages that cover a range', () => {
  it('skips numbers a complete page does not hold', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    expect(sequencer.accept([chatEvent(3)], 3)).toEqual({ deliver: [chatEvent(3)] });
    expect(sequencer.lastSeq).toBe(3);
  });

  it('releases live messages held behind a gap that turns out to be deleted messages', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    expect(sequencer.accept([chatEvent(5)])).toEqual({ deliver: [], fetchAfter: 0 });
    // The page answering that gap: 1 and 3 are gone, the room stands at 5.
    const filled = sequencer.accept([chatEvent(2), chatEvent(4)], 5);
    expect(seqs(filled)).toEqual([2, 4, 5]);
    expect(filled.fetchAfter).toBeUndefined();
  });

  it('skips no further than the page covers, and asks for the rest', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    sequencer.accept([chatEvent(9)]);
    expect(sequencer.accept([chatEvent(1), chatEvent(2)], 4)).toEqual({ deliver: [chatEvent(1), chatEvent(2)], fetchAfter: 4 });
    expect(sequencer.lastSeq).toBe(4);
  });

  it('moves on with an empty page, so the next live message follows at once', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    expect(sequencer.accept([], 2)).toEqual({ deliver: [] });
    expect(seqs(sequencer.accept([chatEvent(3)]))).toEqual([3]);
  });

  it('drops a message with a number already skipped or delivered', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    sequencer.accept([chatEvent(3)], 3);
    expect(sequencer.accept([chatEvent(2)])).toEqual({ deliver: [] });
    expect(sequencer.accept([chatEvent(3)])).toEqual({ deliver: [] });
  });

  it('without a covered range, waits for a missing number instead of skipping it', () => {
    const sequencer = new RoomSequencer();
    sequencer.start(0, []);
    expect(sequencer.accept([chatEvent(2), chatEvent(3)])).toEqual({ deliver: [], fetchAfter: 0 });
    expect(sequencer.lastSeq).toBe(0);
  });
});
