import { ReplayBuffer } from '../../server/web/replay-buffer.js';

const notice = (text: string) => ({ type: 'notice' as const, level: 'info' as const, text });

describe('the replay buffer of a web session', () => {
  it('numbers frames from 1 and hands back exactly those after a seq', () => {
    const buffer = new ReplayBuffer(10);
    for (const text of ['a', 'b', 'c']) buffer.push(notice(text));
    expect(buffer.lastSeq).toBe(3);
    expect(buffer.after(0)?.map((frame) => frame.seq)).toEqual([1, 2, 3]);
    expect(buffer.after(1)?.map((frame) => frame.seq)).toEqual([2, 3]);
    expect(buffer.after(3)).toEqual([]);
  });

  it('keeps the last `capacity` frames, and says when what was asked for is gone', () => {
    const buffer = new ReplayBuffer(3);
    for (let index = 0; index < 5; index += 1) buffer.push(notice(String(index)));
    expect(buffer.after(2)?.map((frame) => frame.seq)).toEqual([3, 4, 5]);
    expect(buffer.after(1)).toBeUndefined();
    expect(buffer.after(0)).toBeUndefined();
  });

  it('refuses a seq from the future (a page of another gateway run)', () => {
    const buffer = new ReplayBuffer(3);
    buffer.push(notice('a'));
    expect(buffer.after(2)).toBeUndefined();
  });

  it('on an empty buffer, has nothing after 0 and refuses anything later', () => {
    const buffer = new ReplayBuffer(3);
    expect(buffer.after(0)).toEqual([]);
    expect(buffer.after(1)).toBeUndefined();
  });
});
