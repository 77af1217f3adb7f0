import { amqpUrlWithCredentials, redactAmqpUrl } from '../../shared/broker-identity.js';
import { brokerUrls, mapBrokerUrls, redactUrl } from '../../shared/index.js';

const LIST = 'amqp://guest:pw1@127.0.0.1:5701,amqp://guest:pw2@127.0.0.1:5702/vh,amqps://127.0.0.1:5703';

describe('AMQP URL lists (every node of a cluster)', () => {
  it('splits a list in its order; one URL is a list of one', () => {
    expect(brokerUrls(LIST)).toEqual(['amqp://guest:pw1@127.0.0.1:5701', 'amqp://guest:pw2@127.0.0.1:5702/vh', 'amqps://127.0.0.1:5703']);
    expect(brokerUrls('amqp://localhost')).toEqual(['amqp://localhost']);
  });

  it('rewrites each URL and joins them again', () => {
    expect(mapBrokerUrls(LIST, (url) => url.toUpperCase())).toBe(LIST.toUpperCase());
  });

  it('hides every password of a list, not only the first', () => {
    const shown = redactUrl(LIST);
    expect(shown).not.toContain('pw1');
    expect(shown).not.toContain('pw2');
    expect(shown).toBe('amqp://guest:***@127.0.0.1:5701,amqp://guest:***@127.0.0.1:5702/vh,amqps://127.0.0.1:5703');
    expect(redactAmqpUrl(LIST)).not.toMatch(/pw[12]/);
  });

  it('puts minted credentials on every node of the list (secure mode)', () => {
    const withSecret = brokerUrls(amqpUrlWithCredentials(LIST, 'c-abc', 's/e:c@ret'));
    expect(withSecret).toHaveLength(3);
    for (const url of withSecret) {
      const parsed = new URL(url);
      expect(decodeURIComponent(parsed.username)).toBe('c-abc');
      expect(decodeURIComponent(parsed.password)).toBe('s/e:c@ret');
    }
    expect(withSecret.map((url) => new URL(url).port)).toEqual(['5701', '5702', '5703']);
  });

  it('refuses to put credentials on a list with a URL that is not AMQP', () => {
    expect(() => amqpUrlWithCredentials('amqp://a,http://b', 'u', 'p')).toThrow(/not an AMQP URL/);
  });
});
