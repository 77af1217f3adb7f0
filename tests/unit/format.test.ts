import { Chalk } from 'chalk';
import { createFormatter, mentions } from '../../client/ui/format.js';

describe('mentions', () => {
  it.each([
    ['@bob are you there?', 'bob'],
    ['hey @bob', 'bob'],
    ['hey @Bob!', 'bob'],
    ['HEY @BOB.', 'Bob'],
    ['(@bob)', 'bob'],
    ['cc @bob, @carol', 'carol'],
    ['@zoë look', 'zoë'],
    ['@j.r. hello', 'j.r.'],
  ])('%j names %s', (text, me) => {
    expect(mentions(text, me)).toBe(true);
  });

  it.each([
    ['@bobby are you there?', 'bob'],
    ['@bob_2 there', 'bob'],
    ['@bob-x there', 'bob'],
    ['bob without the at sign', 'bob'],
    ['mail bob@example.com', 'example'],
    ['x@bob glued to a word', 'bob'],
    ['@bo is not @bob for bo? no: only @bo counts', 'b'],
    ['', 'bob'],
  ])('%j does not name %s', (text, me) => {
    expect(mentions(text, me)).toBe(false);
  });

  it('treats regular-expression characters in a name literally', () => {
    expect(mentions('@a.b hi', 'a.b')).toBe(true);
    expect(mentions('@axb hi', 'a.b')).toBe(false);
  });
});

describe('/help', () => {
  it('lists every command of rooms, private messages and the message life cycle', () => {
    const help = createFormatter(new Chalk({ level: 0 }), { localTime: false }).help().join('\n');
    for (const usage of [
      '/msg USER TEXT',
      '$private USER TEXT',
      '/create ROOM [--secret]',
      '/join ROOM',
      '/room ROOM',
      '/leave [ROOM]',
      '/rooms',
      '/invite USER [ROOM]',
      '/kick USER [ROOM]',
      '/promote USER [ROOM]',
      '/whois USER',
      '/edit ID TEXT',
      '/delete ID',
      '/ttl DURATION TEXT',
      '/roomttl DURATION|off [ROOM]',
      '/history [N]',
    ]) {
      expect(help).toContain(usage);
    }
  });
});
