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

  it('frees a name for its holder only, under every key it was claimed with', () => {
    const index = new LookalikeIndex<string>();
    index.claim('ALICE', 'session-a');
    index.release('someone-else');
    expect(index.holderOf('alice')).toBe('session-a');
    index.release('session-a');
    for (const name of ['alice', 'ALICE', 'AIice', '\u0430lice']) expect(index.holderOf(name)).toBeUndefined();
    expect(index.claim('AIice', 'session-c')).toBeUndefined();
    expect(index.size).toBe(1);
  });

  it('a holder claiming a second name gives up the first', () => {
    const index = new LookalikeIndex<string>();
    index.claim('alice', 'session-a');
    index.claim('bob', 'session-a');
    expect(index.holderOf('alice')).toBeUndefined();
    expect(index.holderOf('BOB')).toBe('session-a');
    expect(index.size).toBe(1);
  });
});
