import type { ConsumeMessage } from 'amqplib';
import { AdmissionGate } from '../../server/input/admission-gate.js';
import type { Input } from '../../server/input/handle-input.js';
import { silentLogger } from '../../server/logger.js';
import { MemoryRateLimits } from '../../server/rate-limits/rate-limits.js';
import { waitFor } from '../support/wait.js';
import { handlerKit, type HandlerKit } from '../support/handler-kit.js';

const RULES_OFF = { message: null, roomCreate: null, loginByName: null, loginByClient: null, passwordChecks: null };

function input(kind: Input['kind'], body: object, userId?: string): Input {
  const msg = { content: Buffer.from(JSON.stringify(body)), fields: {}, properties: { headers: {}, ...(userId ? { userId } : {}) } } as unknown as ConsumeMessage;
  return { kind, queue: kind === 'chat' ? 'ns.chat' : 'ns.commands', msg };
}

/** What the gate released, in order, by the label in each body's requestId or id. */
function labelOf(released: Input): string {
  const body = JSON.parse(released.msg.content.toString('utf8')) as { requestId?: string; id?: string };
  return body.requestId ?? body.id ?? '?';
}

describe('the admission gate (server/input/admission-gate.ts)', () => {
  let kit: HandlerKit;
  beforeEach(() => {
    kit = handlerKit();
  });
  afterEach(() => kit.close());

  function gate(rateLimits = new MemoryRateLimits(RULES_OFF)): { gate: AdmissionGate<Input>; released: Input[] } {
    const released: Input[] = [];
    const deps = { accounts: kit.accounts, registry: kit.registry, rateLimits, scrypt: { logN: 14, r: 8, p: 1 } };
    return { gate: new AdmissionGate<Input>(deps, (item) => released.push(item), silentLogger), released };
  }

  it('lets bodies it cannot read through at once, to be refused as always', () => {
    const { gate: g, released } = gate();
    const broken = { kind: 'command', queue: 'ns.commands', msg: { content: Buffer.from('not json'), properties: {} } } as unknown as Input;
    g.enter(broken);
    expect(released).toEqual([broken]);
  });

  it("keeps one sender's inputs in order behind a slow hash, and lets other senders pass meanwhile", async () => {
    const ana = kit.login('ana').user;
    const bob = kit.login('bob').user;
    const { gate: g, released } = gate();
    g.enter(input('command', { type: 'register', requestId: 'ana-register', token: ana.token, password: 'ana password 1' }));
    g.enter(input('command', { type: 'logout', requestId: 'ana-logout', token: ana.token }));
    g.enter(input('chat', { type: 'chat', id: 'ana-chat', token: ana.token, from: 'ana', text: 'x', clientTs: kit.now().toISOString() }));
    g.enter(input('command', { type: 'heartbeat', requestId: 'bob-heartbeat', token: bob.token }));
    // bob's heartbeat needs no admission and waits for nobody.
    expect(released.map(labelOf)).toEqual(['bob-heartbeat']);
    expect(g.busy).toBe(1);
    await waitFor(() => released.length === 4, 'the hash to finish');
    expect(released.map(labelOf)).toEqual(['bob-heartbeat', 'ana-register', 'ana-logout', 'ana-chat']);
    expect(released[1]?.admitted?.passwordHash).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$/);
    expect(g.busy).toBe(0);
  });

  it('orders by the broker user when the message carries one', async () => {
    const ana = kit.login('ana').user;
    const { gate: g, released } = gate();
    g.enter(input('command', { type: 'register', requestId: 'first', token: ana.token, password: 'ana password 1' }, 'c-ana'));
    // Another token, same broker user: still behind the first.
    g.enter(input('command', { type: 'users', requestId: 'second', token: 'x'.repeat(32) }, 'c-ana'));
    expect(released).toEqual([]);
    await waitFor(() => released.length === 2, 'both');
    expect(released.map(labelOf)).toEqual(['first', 'second']);
  });

  it('passes a chat line at once when the message limit is off, and parks it while the limit is counted when on', () => {
    const eve = kit.login('eve').user;
    const chat = (id: string) => input('chat', { type: 'chat', id, token: eve.token, from: 'eve', text: 'x', clientTs: kit.now().toISOString() });
    const off = gate();
    off.gate.enter(chat('unlimited'));
    expect(off.released.map(labelOf)).toEqual(['unlimited']);
    expect(off.gate.busy).toBe(0);
    const on = gate(new MemoryRateLimits({ ...RULES_OFF, message: { points: 5, durationMs: 10_000 } }));
    on.gate.enter(chat('limited'));
    expect(on.released).toEqual([]);
    expect(on.gate.busy).toBe(1);
  });

  it('attaches a rate-limit refusal instead of holding the input', async () => {
    const dan = kit.login('dan').user;
    const { gate: g, released } = gate(new MemoryRateLimits({ ...RULES_OFF, message: { points: 1, durationMs: 10_000 } }));
    const chat = (id: string) => input('chat', { type: 'chat', id, token: dan.token, from: 'dan', text: 'x', clientTs: kit.now().toISOString() });
    g.enter(chat('one'));
    g.enter(chat('two'));
    await waitFor(() => released.length === 2, 'both chats');
    expect(released[0]?.admitted?.refusal).toBeUndefined();
    expect(released[1]?.admitted?.refusal?.code).toBe('RATE_LIMITED');
  });
});
