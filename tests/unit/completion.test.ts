import { complete } from '../../client/ui/completion.js';

describe('tab completion', () => {
  const names = ['bob', 'Bobby', 'carol'];
  const rooms = ['general', 'lounge', 'lobby', 'dev'];

  it('completes a command at the start of the line', () => {
    expect(complete('/jo', names, rooms)).toEqual([['/join '], '/jo']);
    expect(complete('/pro', names, rooms)).toEqual([['/promote '], '/pro']);
    expect(complete('/wh', names, rooms)).toEqual([['/whois '], '/wh']);
    expect(complete('/ED', names, rooms)).toEqual([['/edit '], '/ED']);
  });

  it('offers every command that starts with what was typed', () => {
    const [hits] = complete('/room', names, rooms);
    expect(hits.sort()).toEqual(['/room ', '/rooms ', '/roomttl ']);
    const [all] = complete('/', names, rooms);
    for (const command of ['/msg ', '/create ', '/join ', '/leave ', '/invite ', '/kick ', '/promote ', '/whois ', '/edit ', '/delete ', '/ttl ', '/roomttl ', '/history ']) {
      expect(all).toContain(command);
    }
  });

  it('offers nothing for an unknown command', () => {
    expect(complete('/zz', names, rooms)).toEqual([[], '/zz']);
  });

  it('completes user names, case-insensitively, keeping a leading @', () => {
    expect(complete('hi @bo', names, rooms)).toEqual([['@Bobby ', '@bob '], '@bo']);
    expect(complete('hi ca', names, rooms)).toEqual([['carol '], 'ca']);
    expect(complete('/msg ca', names, rooms)).toEqual([['carol '], 'ca']);
    expect(complete('/whois @car', names, rooms)).toEqual([['@carol '], '@car']);
    expect(complete('/invite bobb', names, rooms)).toEqual([['Bobby '], 'bobb']);
    expect(complete('hi zed', names, rooms)).toEqual([[], 'zed']);
  });

  it('completes nothing after a space', () => {
    expect(complete('hello ', names, rooms)).toEqual([[], '']);
  });

  it('completes room names after # anywhere in the line', () => {
    expect(complete('see #lo', names, rooms)).toEqual([['#lobby ', '#lounge '], '#lo']);
    expect(complete('see #de', names, rooms)).toEqual([['#dev '], '#de']);
    expect(complete('#g', names, rooms)).toEqual([['#general '], '#g']);
  });

  it('completes room names (without #) after /join, /room, /leave, /create and /roomttl', () => {
    expect(complete('/join lou', names, rooms)).toEqual([['lounge '], 'lou']);
    expect(complete('/room d', names, rooms)).toEqual([['dev '], 'd']);
    expect(complete('/leave LO', names, rooms)).toEqual([['lobby ', 'lounge '], 'LO']);
    expect(complete('/roomttl 1h lo', names, rooms)).toEqual([['lobby ', 'lounge '], 'lo']);
    expect(complete('/join ', names, rooms)).toEqual([['dev ', 'general ', 'lobby ', 'lounge '], '']);
    // Not a user name after /join, even if one matches.
    expect(complete('/join bo', names, rooms)).toEqual([[], 'bo']);
  });
});
