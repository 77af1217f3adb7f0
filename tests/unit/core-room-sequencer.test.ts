import { RoomSequencer, type SequencerResult } from '../../client/lib/room-sequencer.js';
import { chatEvent } from '../support/samples.js';

const seqs = (result: SequencerResult): number[] => result.deliver.map((event) => event.seq);

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
