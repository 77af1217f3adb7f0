import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { amqpUrlWithCredentials, isClientId, isClientSecret, mintClientCredentials, redactAmqpUrl } from '../../shared/broker-identity.js';
import { cappedDeadLetterQueueOptions, cappedInputQueueOptions, clientQueueOptions, DEFAULT_QUEUE_CAPS, secureTopologyFor } from '../../shared/secure-topology.js';
import { clusterNodeBrokerConfig, parseEnabledPlugins, rewriteBrokerConfig } from '../../server/broker/broker-config.js';
import { ConnectionTracker } from '../../server/authority/connection-tracker.js';

const REPO = join(import.meta.dirname, '..', '..');

describe('client credentials', () => {
  it('mints distinct ids and secrets of the documented forms', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const { clientId, secret } = mintClientCredentials();
      expect(isClientId(clientId)).toBe(true);
      expect(isClientSecret(secret)).toBe(true);
      seen.add(clientId);
    }
    expect(seen.size).toBe(200);
    expect(isClientId('c-abc')).toBe(false);
    expect(isClientId(`c-${'a'.repeat(22)}\n`)).toBe(false);
  });

  it('puts credentials into the URL encoded, keeping the rest, and redacts them for logs', () => {
    const url = amqpUrlWithCredentials('amqp://guest:guest@rabbit:5672/%2F?heartbeat=5', 'c-a/b', 'p@s:s/%');
    expect(url).toBe('amqp://c-a%2Fb:p%40s%3As%2F%25@rabbit:5672/%2F?heartbeat=5');
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.password)).toBe('p@s:s/%');
    expect(redactAmqpUrl(url)).not.toContain('p%40s');
    expect(() => amqpUrlWithCredentials('http://x', 'a', 'b')).toThrow();
  });
});

describe('secure topology', () => {
  it('adds the input exchange and caps without changing the plain topology', () => {
    const t = secureTopologyFor('ns');
    expect([t.inputExchange, t.chatRoutingKey, t.commandRoutingKey, t.chatQueue]).toEqual(['ns.input', 'chat', 'command', 'ns.chat']);
    expect(cappedInputQueueOptions(t).arguments).toMatchObject({
      'x-queue-type': 'quorum',
      'x-max-length': DEFAULT_QUEUE_CAPS.inputMaxLength,
      'x-max-length-bytes': DEFAULT_QUEUE_CAPS.inputMaxBytes,
      'x-overflow': 'reject-publish',
      'x-dead-letter-exchange': 'ns.dead-letter',
    });
    expect(cappedDeadLetterQueueOptions().arguments).toEqual({ 'x-queue-type': 'quorum', 'x-max-length': DEFAULT_QUEUE_CAPS.deadLetterMaxLength, 'x-max-length-bytes': DEFAULT_QUEUE_CAPS.deadLetterMaxBytes });
    expect(clientQueueOptions()).toMatchObject({ exclusive: true, arguments: { 'x-overflow': 'reject-publish' } });
  });
});

describe('broker configuration files', () => {
  const conf = readFileSync(join(REPO, 'broker', 'rabbitmq.conf'), 'utf8');

  it('the repository files name the http backend only and the five plugins', () => {
    expect(conf).toMatch(/^auth_backends\.1 = http$/m);
    expect(conf).not.toMatch(/^auth_backends\.2/m);
    expect(conf).toMatch(/^auth_http\.http_method = post$/m);
    expect(parseEnabledPlugins(readFileSync(join(REPO, 'broker', 'enabled_plugins'), 'utf8')).sort()).toEqual(
      ['rabbitmq_auth_backend_http', 'rabbitmq_consistent_hash_exchange', 'rabbitmq_event_exchange', 'rabbitmq_management', 'rabbitmq_prometheus'],
    );
  });

  it('rewrites ports and the authority origin, keeps everything else', () => {
    const out = rewriteBrokerConfig(conf, { host: '127.0.0.1', amqpPort: 1111, managementPort: 2222, prometheusPort: 3333, authorityOrigin: 'http://127.0.0.1:4444' });
    expect(out).toMatch(/^listeners\.tcp\.default = 127\.0\.0\.1:1111$/m);
    expect(out).toMatch(/^management\.tcp\.port = 2222$/m);
    expect(out).toMatch(/^prometheus\.tcp\.port = 3333$/m);
    expect(out).toMatch(/^auth_http\.topic_path = http:\/\/127\.0\.0\.1:4444\/auth\/topic$/m);
    expect(out).not.toContain('server:15680');
    expect(out).toMatch(/^loopback_users = none$/m);
    expect(() => rewriteBrokerConfig('auth_backends.1 = http\n', { host: 'h', amqpPort: 1, managementPort: 2, prometheusPort: 3, authorityOrigin: 'http://x' })).toThrow(/auth_http/);
    expect(() => parseEnabledPlugins('rabbitmq_management')).toThrow();
  });

  it('gives a loopback cluster\'s nodes the same keys without the per-node ports, and the plugins without a port of their own', () => {
    const { extraConfig, plugins } = clusterNodeBrokerConfig(conf, readFileSync(join(REPO, 'broker', 'enabled_plugins'), 'utf8'), { authorityOrigin: 'http://127.0.0.1:4444', definitionsFile: '/repo/broker/definitions.json' });
    expect(extraConfig).toMatch(/^auth_backends\.1 = http$/m);
    expect(extraConfig).toMatch(/^auth_http\.vhost_path = http:\/\/127\.0\.0\.1:4444\/auth\/vhost$/m);
    expect(extraConfig).toMatch(/^load_definitions = \/repo\/broker\/definitions\.json$/m);
    expect(extraConfig).not.toMatch(/^(listeners|management|prometheus)\./m);
    expect(extraConfig).not.toContain('#');
    expect(plugins).toEqual(['rabbitmq_auth_backend_http', 'rabbitmq_event_exchange', 'rabbitmq_consistent_hash_exchange']);
  });
});

describe('connection tracker counting (events fed by hand)', () => {
  it('counts per user by pid, turns a reservation into a count, ignores unknown and malformed events', () => {
    let now = 0;
    const tracker = new ConnectionTracker({ url: 'amqp://127.0.0.1:1', namespace: 'ns', reservationMs: 100, now: () => now });
    tracker.reserve('u');
    expect(tracker.count('u')).toBe(1);
    tracker.apply('connection.created', { user: 'u', pid: '<p1>' });
    expect(tracker.count('u')).toBe(1);
    tracker.apply('connection.created', { user: 'u', pid: '<p1>' });
    tracker.apply('connection.created', { user: 'u', pid: '<p2>' });
    expect(tracker.count('u')).toBe(2);
    tracker.apply('connection.closed', { pid: '<p1>' });
    tracker.apply('connection.closed', { pid: '<p1>' });
    tracker.apply('connection.closed', { pid: '<nobody>' });
    tracker.apply('connection.created', { pid: '<p3>' });
    tracker.apply('connection.created', { user: 42, pid: '<p4>' });
    tracker.apply('connection.closed', {});
    expect(tracker.count('u')).toBe(1);
    tracker.reserve('v');
    now = 101;
    expect(tracker.count('v')).toBe(0);
    expect(tracker.live).toBe(false);
  });

  it('given every node, applies the copies each node\'s stream delivers once, and forgets a dead node\'s connections', () => {
    let now = 0;
    const tracker = new ConnectionTracker({ url: 'amqp://127.0.0.1:1,amqp://127.0.0.1:2,amqp://127.0.0.1:3', namespace: 'ns', now: () => now });
    const created = (pid: string, node: string): Record<string, unknown> => ({ user: 'u', pid, node, name: `${pid} -> ${node}` });
    // The same event through two streams counts once.
    tracker.apply('connection.created', created('<a.1>', 'a'));
    tracker.apply('connection.created', created('<a.1>', 'a'));
    tracker.apply('connection.created', created('<b.1>', 'b'));
    expect(tracker.count('u')).toBe(2);
    // A late copy of `created` after its `closed` (another node's stream lagging) does not bring it back.
    tracker.apply('connection.closed', { pid: '<b.1>', node: 'b' });
    tracker.apply('connection.created', created('<b.1>', 'b'));
    expect(tracker.count('u')).toBe(1);
    // Node a dies: its connections are never reported closed; dropping the node forgets them, and only them.
    tracker.apply('connection.created', created('<a.2>', 'a'));
    tracker.apply('connection.created', created('<c.1>', 'c'));
    expect(tracker.count('u')).toBe(3);
    expect(tracker.dropNode('a')).toBe(2);
    expect(tracker.count('u')).toBe(1);
    expect(tracker.connectionNames('u')).toEqual(['<c.1> -> c']);
    expect(tracker.dropNode('nobody')).toBe(0);
    // Closed pids are remembered for a while only.
    now = 61_000;
    tracker.apply('connection.closed', { pid: '<c.1>', node: 'c' });
    tracker.apply('connection.created', created('<b.1>', 'b'));
    expect(tracker.count('u')).toBe(1);
  });
});
