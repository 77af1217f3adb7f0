import { WEB_CLOSE_CODES, WEB_ERROR_CODES, type GatewayFrame } from '../../shared/web-protocol.js';
import type { WarrenClient } from '../../client/lib/warren-client.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { waitFor } from '../support/wait.js';
import { startGateway, type RunningGateway } from '../support/web-gateway.js';
import { WebPeer } from '../support/web-peer.js';

type MessageFrame = Extract<GatewayFrame, { type: 'message' }>;
const messages = (peer: WebPeer): MessageFrame[] => peer.frames.filter((frame): frame is MessageFrame => frame.type === 'message');
const texts = (peer: WebPeer): string[] => messages(peer).map((frame) => frame.event.text);

/** Sessions over the gateway: one WarrenClient each, surviving a dropped socket without loss or doubles. */
describe('web gateway sessions', () => {
  let coordinator: RunningCoordinator;
  let web: RunningGateway;
  let terminal: WarrenClient;
  const peers: WebPeer[] = [];
  const open = async (): Promise<WebPeer> => {
    const peer = await WebPeer.open(web.wsUrl);
    peers.push(peer);
    return peer;
  };
  const login = async (peer: WebPeer, name: string): Promise<string> => {
    const hello = await peer.hello();
    peer.send({ type: 'login', ref: `login-${name}`, name });
    expect(await peer.result(`login-${name}`)).toMatchObject({ ok: true, value: { name } });
    return hello.token;
  };

  beforeAll(async () => {
    coordinator = await startCoordinator();
    web = await startGateway(coordinator.namespace, { replayFrames: 10 });
    terminal = await coordinator.client();
    await terminal.login('term');
  });
  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
    await web?.stop();
    await coordinator?.stop();
  });

  it('logs in, sends, and sees the terminal user, each message once with its server id and time', async () => {
    const peer = await open();
    await login(peer, 'wanda');
    const welcome = await peer.next((frame): frame is Extract<GatewayFrame, { type: 'welcome' }> => frame.type === 'welcome', 'welcome');
    expect(welcome.welcome.users.map((user) => user.name).sort()).toEqual(['term', 'wanda']);
    peer.send({ type: 'send', ref: 's1', text: 'hi from the browser' });
    expect(await peer.result('s1')).toMatchObject({ ok: true, value: { room: 'general' } });
    await waitFor(() => texts(peer).includes('hi from the browser'), 'the own message back');
    await terminal.send('hi from the terminal');
    await waitFor(() => texts(peer).includes('hi from the terminal'), 'the terminal message');
    const event = messages(peer).find((frame) => frame.event.text === 'hi from the terminal')!.event;
    expect(event.from).toBe('term');
    expect(event.num).toBeGreaterThan(0);
    expect(Date.parse(event.serverTs)).not.toBeNaN();
    peer.send({ type: 'logout', ref: 'bye' });
    await waitFor(() => peer.closeCode === WEB_CLOSE_CODES.ENDED, 'the socket to close as ENDED');
  });

  it('resumes after a dropped socket: what came meanwhile arrives once, nothing is doubled', async () => {
    const first = await open();
    const token = await login(first, 'rhea');
    await terminal.send('before the drop');
    await waitFor(() => texts(first).includes('before the drop'), 'the message before the drop');
    const lastSeq = first.lastSeq();
    await first.close();
    await terminal.send('while away 1');
    await terminal.send('while away 2');
    // The session is still logged in meanwhile: the coordinator sees rhea online.
    expect((await terminal.users()).map((user) => user.name)).toContain('rhea');
    const second = await open();
    const hello = await second.hello({ type: 'hello', resume: token, lastSeq });
    expect(hello).toMatchObject({ resumed: true, complete: true, loggedIn: true, lastSeq });
    await waitFor(() => texts(second).includes('while away 2'), 'the missed messages');
    expect(texts(second)).toEqual(['while away 1', 'while away 2']);
    expect(web.gateway.stats.resumes).toBeGreaterThanOrEqual(1);
    // A request sent again after the drop (same ref) is not carried out twice.
    second.send({ type: 'send', ref: 'once', text: 'sent once' });
    second.send({ type: 'send', ref: 'once', text: 'sent once' });
    await waitFor(() => texts(second).includes('sent once'), 'the message');
    await terminal.send('after');
    await waitFor(() => texts(second).includes('after'), 'the next message');
    expect(texts(second).filter((text) => text === 'sent once')).toHaveLength(1);
  });

  it('tells a page that missed more than it keeps to draw afresh, with the state to draw from', async () => {
    const first = await open();
    const token = await login(first, 'gaia');
    await first.close();
    for (let index = 0; index < 15; index += 1) await terminal.send(`flood ${index}`);
    const second = await open();
    await waitFor(async () => (await terminal.users()).some((user) => user.name === 'gaia'), 'gaia still online');
    const hello = await second.hello({ type: 'hello', resume: token, lastSeq: 1 });
    expect(hello.complete).toBe(false);
    expect(hello.state?.welcome?.name).toBe('gaia');
    expect(hello.state?.online).toEqual(expect.arrayContaining(['gaia', 'term']));
    expect(hello.state?.rooms.map((room) => room.name)).toContain('general');
  });

  it('hands a session to the socket that resumes it, closing the older one as TAKEN_OVER', async () => {
    const first = await open();
    const token = await login(first, 'theo');
    const second = await open();
    await second.hello({ type: 'hello', resume: token, lastSeq: first.lastSeq() });
    await waitFor(() => first.closeCode === WEB_CLOSE_CODES.TAKEN_OVER, 'the first socket to be closed as taken over');
  });

  it('lists a secret room the page user was invited to, once the client has joined it', async () => {
    const peer = await open();
    await login(peer, 'ivy');
    await terminal.createRoom('den', { secret: true });
    await terminal.invite('ivy', 'den');
    const rooms = await peer.next(
      (frame): frame is Extract<GatewayFrame, { type: 'rooms' }> => frame.type === 'rooms' && frame.rooms.some((room) => room.name === 'den'),
      'a rooms frame with den',
    );
    expect(rooms.rooms.find((room) => room.name === 'den')).toMatchObject({ kind: 'secret', role: 'member' });
    await terminal.send('in the den', { room: 'den' });
    await waitFor(() => texts(peer).includes('in the den'), 'the secret room message');
  });

  it('ends a session whose socket stays away past the grace, freeing the name', async () => {
    const short = await startGateway(coordinator.namespace, { resumeGraceMs: 300 });
    try {
      const peer = await WebPeer.open(short.wsUrl);
      const hello = await peer.hello();
      peer.send({ type: 'login', ref: 'l', name: 'brief' });
      await peer.result('l');
      await peer.close();
      await waitFor(async () => !(await terminal.users()).some((user) => user.name === 'brief'), 'brief to be logged out', 10_000);
      const again = await WebPeer.open(short.wsUrl);
      again.send({ type: 'hello', resume: hello.token, lastSeq: 0 });
      await again.error(WEB_ERROR_CODES.RESUME_UNKNOWN);
      await again.close();
    } finally {
      await short.stop();
    }
  });
});
