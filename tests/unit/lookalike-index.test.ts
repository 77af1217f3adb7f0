import { LookalikeIndex } from '../../server/lookalike-index.js';

describe('look-alike index', () => {
  it.each(['alice', 'ALICE', 'Alice', '\u0430lice', 'AIice', 'a1ice', 'ａｌｉｃｅ'])('refuses %s while alice is held, naming the holder', (name) => {
    const index = new LookalikeIndex<string>();
    expect(index.claim('alice', 'session-a')).toBeUndefined();
    expect(index.claim(name, 'session-b')).toBe('session-a');
    expect(index.holderOf(name)).toBe('session-a');
    expect(index.size).toBe(1);
  });

  it('lets different names be held together', () => {
    const index = new LookalikeIndex<string>();
    expect(index.claim('Ali', 'a')).toBeUndefined();
    expect(index.claim('All', 'b')).toBeUndefined();
    expect(index.claim('alice2', 'c')).toBeUndefined();
    expect(index.size).toBe(3);
  });

  it('frees a name for its holder only', () => {
    const index = new LookalikeIndex<string>();
    index.claim('alice', 'session-a');
    index.release('ALICE', 'someone-else');
    expect(index.holderOf('alice')).toBe('session-a');
    index.release('ALICE', 'session-a');
    expect(index.holderOf('alice')).toBeUndefined();
    expect(index.claim('\u0430lice'.replace('\u0430', 'a'), 'session-c')).toBeUndefined();
    expect(index.size).toBe(1);
  });
});
