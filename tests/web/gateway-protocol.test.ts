import WebSocket from 'ws';
import { WEB_ERROR_CODES, WEB_LIMITS, type GatewayFrame } from '../../shared/web-protocol.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { startGateway, type RunningGateway } from '../support/web-gateway.js';
import { WebPeer } from '../support/web-peer.js';

/** The gateway's WebSocket protocol, bad input first: every refusal has its code, and the socket lives on. */
describe('web gateway protocol: bad frames', () => {
  let coordinator: RunningCoordinator;
  let web: RunningGateway;
  const peers: WebPeer[] = [];
  const open = async (headers: Record<string, string> = {}): Promise<WebPeer> => {
    const peer = await WebPeer.open(web.wsUrl, headers);
    peers.push(peer);
    return peer;
  };

  beforeAll(async () => {
    coordinator = await startCoordinator();
    web = await startGateway(coordinator.namespace);
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.close()));
  });
  afterAll(async () => {
    await web?.stop();
    await coordinator?.stop();
  });

  /** After a refusal the same socket still works: a hello is answered. */
  const stillServes = async (peer: WebPeer): Promise<void> => {
    const hello = await peer.hello();
    expect(hello.token.length).toBeGreaterThan(20);
    expect(peer.closeCode).toBeUndefined();
  };

  it.each([
    ['not JSON', '{"type": "hello"', 'the frame is not JSON'],
    ['JSON that is not an object', '42', 'not a frame of the protocol'],
    ['an unknown type', JSON.stringify({ type: 'subscribe', room: 'general' }), 'at type'],
    ['a frame without type', JSON.stringify({ ref: 'a' }), 'at type'],
    ['hello with an extra field', JSON.stringify({ type: 'hello', admin: true }), 'not a frame of the protocol'],
    ['hello with a negative lastSeq', JSON.stringify({ type: 'hello', resume: 'x', lastSeq: -1 }), 'at lastSeq'],
  ])('refuses %s with FRAME_INVALID and keeps the socket', async (_what, raw, message) => {
    const peer = await open();
    peer.send(raw);
    const error = await peer.error(WEB_ERROR_CODES.FRAME_INVALID);
    expect(error.message).toContain(message);
    await stillServes(peer);
  });

  it('refuses a binary frame with FRAME_INVALID', async () => {
    const peer = await open();
    peer.socket.send(Buffer.from(JSON.stringify({ type: 'hello' })), { binary: true });
    expect((await peer.error(WEB_ERROR_CODES.FRAME_INVALID)).message).toContain('binary frames');
    await stillServes(peer);
  });

  it('refuses a frame over the limit with FRAME_TOO_LARGE and keeps the socket', async () => {
    const peer = await open();
    peer.send(JSON.stringify({ type: 'hello', pad: 'x'.repeat(WEB_LIMITS.maxFrameBytes) }));
    expect((await peer.error(WEB_ERROR_CODES.FRAME_TOO_LARGE)).message).toMatch(/the frame is \d+ bytes; the limit is 32768/);
    await stillServes(peer);
  });

  it('closes a socket that sends a frame far past the limit (1009, the WebSocket code for too big)', async () => {
    const peer = await open();
    peer.send('x'.repeat(WEB_LIMITS.maxFrameBytes * 8 + 1));
    await new Promise<void>((resolve) => peer.socket.once('close', () => resolve()));
    expect(peer.closeCode).toBe(1009);
  });

  it('asks for hello before anything else, naming the request', async () => {
    const peer = await open();
    peer.send({ type: 'login', ref: 'r1', name: 'ann' });
    const error = await peer.error(WEB_ERROR_CODES.HELLO_REQUIRED);
    expect(error.ref).toBe('r1');
    await stillServes(peer);
    peer.send({ type: 'hello' });
    expect((await peer.error(WEB_ERROR_CODES.HELLO_REPEATED)).message).toBe('this connection already said hello');
  });

  it('refuses a resume token it does not know, and then starts a new session on the same socket', async () => {
    const peer = await open();
    peer.send({ type: 'hello', resume: 'no-such-session', lastSeq: 3 });
    expect((await peer.error(WEB_ERROR_CODES.RESUME_UNKNOWN)).message).toContain('log in again');
    await stillServes(peer);
  });

  it.each([
    ['an unknown method', { type: 'call', ref: 'c1', call: { method: 'deleteNamespace' } }, 'at call.method'],
    ['a raw broker publish', { type: 'call', ref: 'c1', call: { method: 'publish', exchange: 'x', body: 'y' } }, 'at call.method'],
    ['an extra argument', { type: 'call', ref: 'c1', call: { method: 'users', token: 'stolen' } }, 'not a frame of the protocol'],
    ['an edit of message 0', { type: 'call', ref: 'c1', call: { method: 'edit', num: 0, text: 'x' } }, 'at call.num'],
    ['a history page too large', { type: 'call', ref: 'c1', call: { method: 'history', room: 'general', limit: 501 } }, 'at call.limit'],
    ['a send with a forged sender', { type: 'send', ref: 'c1', text: 'hi', from: 'admin' }, 'not a frame of the protocol'],
    ['an empty text', { type: 'send', ref: 'c1', text: '' }, 'at text'],
  ])('refuses %s with FRAME_INVALID, naming the request', async (_what, frame, message) => {
    const peer = await open();
    await peer.hello();
    peer.send(frame);
    const error = await peer.error(WEB_ERROR_CODES.FRAME_INVALID);
    expect(error.message).toContain(message);
    expect(error.ref).toBe('c1');
  });

  it('answers a call before login with NOT_LOGGED_IN', async () => {
    const peer = await open();
    await peer.hello();
    peer.send({ type: 'call', ref: 'u1', call: { method: 'users' } });
    expect(await peer.result('u1')).toMatchObject({ ok: false, error: { code: WEB_ERROR_CODES.NOT_LOGGED_IN } });
    peer.send({ type: 'send', ref: 's1', text: 'hello' });
    expect(await peer.result('s1')).toMatchObject({ ok: false, error: { code: WEB_ERROR_CODES.NOT_LOGGED_IN } });
  });

  it('passes the coordinator refusal of a bad name on, with its code', async () => {
    const peer = await open();
    await peer.hello();
    peer.send({ type: 'login', ref: 'l1', name: 'two words' });
    expect(await peer.result('l1')).toMatchObject({ ok: false, error: { code: 'NAME_INVALID' } });
    expect(web.gateway.stats.loginsRefused).toBeGreaterThanOrEqual(1);
  });

  it('refuses frames past the rate limit with FRAME_RATE', async () => {
    const peer = await open();
    await peer.hello();
    for (let index = 0; index < WEB_LIMITS.framesPerSecond * 2; index += 1) peer.send({ type: 'call', ref: `r${index}`, call: { method: 'users' } });
    expect((await peer.error(WEB_ERROR_CODES.FRAME_RATE)).message).toContain('frames in a second');
  });

  it('refuses a session past WARREN_WEB_MAX_SESSIONS with TOO_MANY_SESSIONS', async () => {
    const small = await startGateway(coordinator.namespace, { maxSessions: 2 });
    try {
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => WebPeer.open(small.wsUrl)));
      peers.push(a!, b!, c!);
      await a!.hello();
      await b!.hello();
      c!.send({ type: 'hello' });
      expect((await c!.error(WEB_ERROR_CODES.TOO_MANY_SESSIONS)).message).toContain('2 sessions');
      expect(small.gateway.stats.sessionsOpen).toBe(2);
    } finally {
      await small.stop();
    }
  });

  it('refuses a WebSocket from another site (Origin) with 403, and takes the page own origin', async () => {
    const refused = new WebSocket(web.wsUrl, { headers: { Origin: 'https://evil.example' } });
    refused.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
    expect(status).toBe(403);
    const same = await open({ Origin: web.httpUrl });
    await stillServes(same);
    const logout = new Promise<GatewayFrame>((resolve) => same.socket.once('message', (data) => resolve(JSON.parse(String(data)) as GatewayFrame)));
    same.send({ type: 'logout', ref: 'bye' });
    expect(await logout).toMatchObject({ type: 'result', ok: true });
  });

  it('serves the page with a strict Content-Security-Policy, and nothing but its files', async () => {
    const page = await fetch(`${web.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<title>warren</title>');
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/server/web/main.js', '/ws']) {
      expect((await fetch(`${web.httpUrl}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${web.httpUrl}/`, { method: 'POST' })).status).toBe(405);
    expect(await web.gateway.stats.isReady()).toBe(true);
  });
});
