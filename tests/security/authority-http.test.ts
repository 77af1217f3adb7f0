import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { mintClientCredentials } from '../../shared/broker-identity.js';
import { AuthorityHttpServer, MAX_BODY_BYTES } from '../../server/authority/http.js';
import { AuthorityPolicy, type ConnectionCounts } from '../../server/authority/policy.js';
import { MemoryIdentityDirectory } from '../../server/authority/directory.js';

const NS = 'http';
const COORD = { username: 'warren-coordinator', password: 'k'.repeat(43) };
const counts: ConnectionCounts = { live: true, count: () => 0, reserve: () => undefined };
const policy = new AuthorityPolicy({ namespace: NS, directory: new MemoryIdentityDirectory(), counts, coordinator: COORD, legacyGuest: false, admin: { password: 'operator-pass-1' } });
const server = new AuthorityHttpServer(policy);
let base = '';

beforeAll(async () => {
  const port = await server.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, form: Record<string, string> | string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, ...init });
  return { status: res.status, body: await res.text() };
}

/** Raw bytes on a socket, for requests fetch refuses to send. */
function raw(text: string | Buffer): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.end(text));
    let out = '';
    socket.on('data', (chunk) => (out += chunk.toString('latin1')));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('authority HTTP: bad requests get a 4xx and deny', () => {
  it.each([
    ['unknown path', '/auth/nope', { username: 'x', password: 'y' }, 404],
    ['path with a trailing slash', '/auth/user/', { username: 'x', password: 'y' }, 404],
    ['missing password', '/auth/user', { username: COORD.username }, 400],
    ['missing username', '/auth/user', { password: COORD.password }, 400],
    ['empty username', '/auth/user', { username: '', password: COORD.password }, 400],
    ['missing vhost', '/auth/vhost', { username: COORD.username }, 400],
    ['missing permission', '/auth/resource', { username: COORD.username, vhost: '/', resource: 'queue', name: `${NS}.chat` }, 400],
    ['unknown permission', '/auth/resource', { username: COORD.username, vhost: '/', resource: 'queue', name: `${NS}.chat`, permission: 'all' }, 400],
    ['unknown resource', '/auth/resource', { username: COORD.username, vhost: '/', resource: 'vhost', name: `${NS}.chat`, permission: 'read' }, 400],
    ['missing routing_key', '/auth/topic', { username: COORD.username, vhost: '/', resource: 'topic', name: `${NS}.events`, permission: 'write' }, 400],
  ])('%s', async (_what, path, form, status) => {
    expect(await post(path, form as Record<string, string>)).toEqual({ status, body: 'deny' });
  });

  it('a field given twice (one of them the coordinator) is refused, not read first or last', async () => {
    const body = `username=${COORD.username}&username=c-${'a'.repeat(22)}&password=${COORD.password}`;
    expect(await post('/auth/user', body)).toEqual({ status: 400, body: 'deny' });
  });

  it('garbage, non-UTF-8 and the wrong content type', async () => {
    expect(await post('/auth/user', '%%%&&&===')).toEqual({ status: 400, body: 'deny' });
    expect((await post('/auth/user', '', { body: Buffer.from([0x75, 0x73, 0x65, 0x72, 0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xff, 0xfe]) })).status).toBe(400);
    const json = await fetch(`${base}/auth/user`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: COORD.username, password: COORD.password }) });
    expect([json.status, await json.text()]).toEqual([415, 'deny']);
  });

  it('wrong methods', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(`${base}/auth/user?username=${COORD.username}&password=${COORD.password}`, { method });
      expect([res.status, await res.text()]).toEqual([405, 'deny']);
    }
  });

  it('a huge body, announced or streamed, is cut at the limit', async () => {
    const big = `username=${COORD.username}&password=${'p'.repeat(MAX_BODY_BYTES)}`;
    expect(await post('/auth/user', big)).toEqual({ status: 413, body: 'deny' });
    const chunked = await raw(
      `POST /auth/user HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${(MAX_BODY_BYTES + 10).toString(16)}\r\n${'a'.repeat(MAX_BODY_BYTES + 10)}\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 413/);
    expect(chunked.endsWith('deny')).toBe(true);
  });

  it('a broken request line does not take the server down', async () => {
    await raw('NOT HTTP AT ALL\r\n\r\n');
    await raw(Buffer.from([0, 1, 2, 3, 255]));
    expect(await post('/auth/user', { username: COORD.username, password: COORD.password })).toEqual({ status: 200, body: 'allow' });
  });
});

describe('authority HTTP: answers', () => {
  it('allow / deny on each path, tags only on /auth/user', async () => {
    expect(await post('/auth/user', { username: 'admin', password: 'operator-pass-1' })).toEqual({ status: 200, body: 'allow administrator management' });
    expect(await post('/auth/vhost', { username: 'admin', vhost: '/', ip: '127.0.0.1', tags: 'administrator management' })).toEqual({ status: 200, body: 'allow' });
    expect(await post('/auth/user', { username: COORD.username, password: 'wrong' })).toEqual({ status: 200, body: 'deny' });
    const me = mintClientCredentials();
    expect((await post('/auth/user', { username: me.clientId, password: me.secret })).body).toBe('allow');
    const ask = { username: me.clientId, vhost: '/', resource: 'queue', tags: '' };
    expect((await post('/auth/resource', { ...ask, name: `${NS}.client.${me.clientId}`, permission: 'configure' })).body).toBe('allow');
    expect((await post('/auth/resource', { ...ask, name: `${NS}.chat`, permission: 'read' })).body).toBe('deny');
    policy.bind(me.clientId, 'alice');
    const t = { username: me.clientId, vhost: '/', resource: 'topic', name: `${NS}.events`, permission: 'read', 'variable_map.username': me.clientId, 'variable_map.vhost': '/' };
    expect((await post('/auth/topic', { ...t, routing_key: 'room.general' })).body).toBe('allow');
    expect((await post('/auth/topic', { ...t, routing_key: '#' })).body).toBe('deny');
  });

  it('counts decisions and bad requests per path', () => {
    const stats = server.stats();
    expect(stats.user.count).toBeGreaterThan(0);
    expect(stats.user.refusedBadRequest).toBeGreaterThan(0);
    expect(stats.topic.allowed).toBeGreaterThan(0);
  });

  it('a policy that throws answers 500 deny', async () => {
    const broken = new AuthorityHttpServer({ user: () => { throw new Error('boom'); } } as unknown as AuthorityPolicy);
    const port = await broken.listen(0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${port}/auth/user`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a&password=b' });
    expect([res.status, await res.text()]).toEqual([500, 'deny']);
    await broken.close();
    await broken.close();
  });

  it('a peer that is not allowed to ask gets 403 deny, before its body is read', async () => {
    const asked: string[] = [];
    const guarded = new AuthorityHttpServer(policy, { allowPeer: (address) => (asked.push(address ?? ''), false) });
    const port = await guarded.listen(0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${port}/auth/user`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `username=${COORD.username}&password=${COORD.password}` });
    expect([res.status, await res.text()]).toEqual([403, 'deny']);
    expect(asked[0]).toMatch(/127\.0\.0\.1/);
    await guarded.close();
  });
});
