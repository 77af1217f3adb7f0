import { describe, expect, it } from '@jest/globals';
import { PeerAllowList } from '../../server/authority/peer-allow.js';

describe('who may ask the authority', () => {
  it('refuses everyone not listed, and an unknown address', async () => {
    const list = new PeerAllowList(['10.1.2.3']);
    await list.start();
    for (const peer of [undefined, '', '10.1.2.4', '127.0.0.1', '::1', 'fe80::1']) expect(list.allows(peer)).toBe(false);
    expect(list.allows('10.1.2.3')).toBe(true);
    expect(list.allows('::ffff:10.1.2.3')).toBe(true);
  });

  it('loopback: 127.0.0.0/8 and ::1, IPv4-mapped too', async () => {
    const list = new PeerAllowList(['loopback']);
    await list.start();
    for (const peer of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(list.allows(peer)).toBe(true);
    expect(list.allows('10.0.0.1')).toBe(false);
  });

  it('resolves host names; one that does not resolve allows nothing and says so', async () => {
    const errors: string[] = [];
    const list = new PeerAllowList(['localhost', 'no-such-host.invalid'], 30_000, (message) => errors.push(message));
    await list.start();
    list.stop();
    expect(list.allows('127.0.0.1') || list.allows('::1')).toBe(true);
    expect(list.allows('10.0.0.1')).toBe(false);
    expect(errors.join('\n')).toContain('no-such-host.invalid');
  });
});
