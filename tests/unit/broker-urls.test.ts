import { jest } from '@jest/globals';
import { amqpUrlWithCredentials, redactAmqpUrl } from '../../shared/broker-identity.js';
import { brokerUrls, mapBrokerUrls, redactUrl, rotateList, startingNode } from '../../shared/index.js';

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

describe('the order a connection tries the nodes in (WARREN_AMQP_NODE_ORDER)', () => {
  const NODES = ['a', 'b', 'c'];

  it('turns the list to start at the given entry, the rest following round it in the listed order', () => {
    expect(rotateList(NODES, 0)).toEqual(['a', 'b', 'c']);
    expect(rotateList(NODES, 1)).toEqual(['b', 'c', 'a']);
    expect(rotateList(NODES, 2)).toEqual(['c', 'a', 'b']);
    // Taken round the list: any whole number is a start, negative ones counted from the end.
    expect(rotateList(NODES, 4)).toEqual(['b', 'c', 'a']);
    expect(rotateList(NODES, -1)).toEqual(['c', 'a', 'b']);
    expect(rotateList(['only'], 7)).toEqual(['only']);
    expect(rotateList([], 3)).toEqual([]);
    expect(NODES).toEqual(['a', 'b', 'c']);
  });

  it('refuses a start that is not a whole number (a bad pick must not drop or double a node)', () => {
    expect(() => rotateList(NODES, 1.5)).toThrow(/whole number/);
    expect(() => rotateList(NODES, Number.NaN)).toThrow(/whole number/);
  });

  it('listed: always the first node, the pick never asked', () => {
    const pick = jest.fn(() => 2);
    expect(startingNode('listed', 3, pick)).toBe(0);
    expect(pick).not.toHaveBeenCalled();
  });

  it('spread: the node the pick chose, asked with the number of nodes; a list of one needs no pick', () => {
    const pick = jest.fn((count: number) => count - 1);
    expect(startingNode('spread', 3, pick)).toBe(2);
    expect(pick).toHaveBeenCalledWith(3);
    pick.mockClear();
    expect(startingNode('spread', 1, pick)).toBe(0);
    expect(pick).not.toHaveBeenCalled();
  });

  it('spread: the default pick shares 3,000 connections out over three nodes about evenly', () => {
    const perNode = [0, 0, 0];
    for (let i = 0; i < 3000; i += 1) {
      const start = startingNode('spread', 3);
      perNode[start] = (perNode[start] ?? 0) + 1;
    }
    // 1,000 expected per node, standard deviation about 26: outside 850–1,150 (5.8 deviations) has a
    // chance below 1e-8 per node. A pick that favoured one node (the old behaviour: all on 0) fails.
    for (const count of perNode) {
      expect(count).toBeGreaterThan(850);
      expect(count).toBeLessThan(1150);
    }
  });

  it('spread: a pick outside the list is refused, not wrapped silently', () => {
    expect(() => startingNode('spread', 3, () => 3)).toThrow(/0 to 2/);
    expect(() => startingNode('spread', 3, () => -1)).toThrow(/0 to 2/);
  });
});
