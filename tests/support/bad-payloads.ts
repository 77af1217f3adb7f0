import { LIMITS } from '../../shared/index.js';

/**
 * Random and malformed inputs for the chat and command queues, reproducible from a seed. Every
 * one is refused by the coordinator; `deadLettered` says whether the refusal is one that is also
 * copied to the dead-letter queue (all but an invalid name at login, which is merely refused).
 */
export interface BadPayload {
  queue: 'chat' | 'command';
  content: Buffer;
  /** Expected to be copied to the dead-letter queue whatever its replyTo. */
  deadLettered: boolean;
  /** Needs replyTo = the probe's own queue and clientId = the probe's id to be refused as intended. */
  loginAsProbe?: boolean;
  headers?: Record<string, unknown>;
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const TS = '2026-01-01T00:00:00.000Z';

export function badPayloads(count: number, seed: number, probeId: string): BadPayload[] {
  const random = randomSource(seed);
  const int = (max: number): number => Math.floor(random() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const word = (length: number): string => Array.from({ length }, () => String.fromCharCode(97 + int(26))).join('');
  const token = (): string => word(32);
  const queue = (): 'chat' | 'command' => (random() < 0.5 ? 'chat' : 'command');

  const kinds: ((index: number) => BadPayload)[] = [
    () => ({ queue: queue(), content: Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256))), deadLettered: true }),
    () => ({ queue: queue(), content: Buffer.from([0xff, 0xfe, 0xfd, 0x7b, int(256)]), deadLettered: true }),
    (index) => {
      const full = JSON.stringify({ type: 'chat', id: `m${index}`, token: token(), from: 'x', text: 'hi', clientTs: TS });
      return { queue: 'chat', content: Buffer.from(full.slice(0, 1 + int(full.length - 2))), deadLettered: true };
    },
    () => ({ queue: queue(), content: Buffer.from(pick(['42', '"text"', 'null', 'true', '[1,2,3]', '[]', '{}', ''])), deadLettered: true }),
    (index) => ({ queue: queue(), content: json({ text: `no type ${index}`, id: `m${index}` }), deadLettered: true }),
    (index) => ({ queue: queue(), content: json({ type: pick(['chat.ghost', 'LOGIN', 'drop_tables', 'message', 42]), requestId: `r${index}` }), deadLettered: true }),
    // A chat message on the command queue is of an unknown type there.
    (index) => ({ queue: 'command', content: json({ type: 'chat', id: `m${index}`, token: token(), from: 'x', text: 'hi', clientTs: TS }), deadLettered: true }),
    (index) => ({ queue: 'chat', content: json({ type: 'chat', id: `m${index}` }), deadLettered: true }),
    (index) => ({ queue: 'chat', content: json({ type: 'chat', id: index, token: 7, from: null, text: ['x'], clientTs: 'yesterday' }), deadLettered: true }),
    (index) => ({ queue: 'chat', content: json({ type: 'chat', id: `m${index}`, token: token(), from: 'mallory', text: `forged ${index}`, clientTs: TS }), deadLettered: true }),
    (index) => ({ queue: 'chat', content: json({ type: 'chat', id: `m${index}`, token: token(), from: 'x', text: '   ', clientTs: TS }), deadLettered: true }),
    (index) => ({ queue: 'chat', content: json({ type: 'chat', id: `m${index}`, token: token(), from: 'x', text: 'y'.repeat(LIMITS.maxTextLength + 1 + int(100)), clientTs: TS }), deadLettered: true }),
    (index) => ({ queue: queue(), content: Buffer.concat([json({ type: 'chat', id: `m${index}` }), Buffer.alloc(LIMITS.maxPayloadBytes, 0x20)]), deadLettered: true }),
    (index) => ({ queue: 'command', content: json({ type: pick(['users', 'mymsgs', 'logout', 'rooms']), requestId: `r${index}`, token: token() }), deadLettered: true }),
    (index) => ({ queue: 'command', content: json({ type: 'history', requestId: `r${index}`, token: token(), afterSeq: -5, limit: 1e9 }), deadLettered: true }),
    (index) => ({ queue: 'command', content: json({ type: 'users', requestId: `r${index}`, token: token(), extra: { $where: '1' } }), deadLettered: true }),
    () => ({ queue: 'command', content: json({ type: 'heartbeat', token: token() }), deadLettered: true }),
    (index) => ({ queue: queue(), content: Buffer.from(`{"__proto__":{"type":"chat"},"id":"m${index}"}`), deadLettered: true }),
    () => ({ queue: queue(), content: Buffer.from(`${'['.repeat(3000)}${']'.repeat(3000)}`), deadLettered: true }),
    // A login with another client's id in it: refused as invalid (replyTo must be that client's queue).
    (index) => ({ queue: 'command', content: json({ type: 'login', requestId: `r${index}`, name: `n${index}`, clientId: `someone-${index}` }), deadLettered: true }),
    // Forged broker headers change nothing.
    (index) => ({
      queue: 'chat',
      content: json({ type: 'chat', id: `m${index}`, token: token(), from: 'x', text: 'hi', clientTs: TS }),
      deadLettered: true,
      headers: { 'x-delivery-count': pick([99, 'many', -1]), 'x-death': 'nonsense' },
    }),
    // An invalid name: refused with NAME_INVALID, which is an answer, not a dead letter.
    (index) => ({
      queue: 'command',
      content: json({ type: 'login', requestId: `r${index}`, name: pick([`bad name ${index}`, '', `\u0007bell${index}`, 'x'.repeat(LIMITS.maxNameLength + 1), 'admin']), clientId: probeId }),
      deadLettered: false,
      loginAsProbe: true,
    }),
  ];
  return Array.from({ length: count }, (_, index) => (kinds[index % kinds.length] as (index: number) => BadPayload)(index));
}
