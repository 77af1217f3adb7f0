import { parseDelivery } from '../../client/lib/incoming.js';
import { DeliveryGroups } from '../../server/output/delivery-groups.js';
import { BATCH_TYPE, ERROR_CODES, MAX_BATCH_ITEMS, WarrenError, encodeDeliveries, encodeDelivery, unpackDelivery } from '../../shared/index.js';
import { bytes, chatEvent } from '../support/samples.js';

/** Protocol 2's batched deliveries (shared/delivery-batch.ts): bad batches first, then the shape. */
describe('unpackDelivery refuses a malformed batch with its reason', () => {
  it.each([
    ['items missing', { type: BATCH_TYPE }, 'non-empty items array'],
    ['items not an array', { type: BATCH_TYPE, items: { 0: 1 } }, 'non-empty items array'],
    ['no items', { type: BATCH_TYPE, items: [] }, 'non-empty items array'],
    ['too many items', { type: BATCH_TYPE, items: Array.from({ length: MAX_BATCH_ITEMS + 1 }, (_, i) => chatEvent(i + 1)) }, `at most ${MAX_BATCH_ITEMS}`],
    ['an extra field', { type: BATCH_TYPE, items: [chatEvent(1)], seq: 3 }, 'only the fields type and items'],
  ])('%s', (_label, value, reason) => {
    const unpacked = unpackDelivery(value);
    expect(unpacked.ok).toBe(false);
    if (!unpacked.ok) expect(unpacked.reason).toContain(reason);
  });

  it('takes anything that is not a batch as one item, for the message schema to judge', () => {
    for (const value of [null, 7, 'text', [1, 2], { type: 'message' }]) expect(unpackDelivery(value)).toEqual({ ok: true, items: [value] });
  });
});

describe('parseDelivery (the client)', () => {
  it('reports a body that is not JSON, and a malformed batch, as one INVALID_MESSAGE each', () => {
    for (const body of [Buffer.from('{"type":"batch","items":['), bytes({ type: BATCH_TYPE, items: [] })]) {
      const parsed = parseDelivery(body);
      expect(parsed).toHaveLength(1);
      expect(parsed[0]).toBeInstanceOf(WarrenError);
      expect((parsed[0] as WarrenError).code).toBe(ERROR_CODES.INVALID_MESSAGE);
    }
  });

  it('keeps the good items of a batch around a bad one, in order', () => {
    const parsed = parseDelivery(bytes({ type: BATCH_TYPE, items: [chatEvent(1), { type: 'message', seq: 'two' }, chatEvent(3)] }));
    expect(parsed.map((item) => (item instanceof WarrenError ? item.code : item.type))).toEqual(['message', ERROR_CODES.INVALID_MESSAGE, 'message']);
    expect(parsed[2]).toMatchObject({ seq: 3 });
  });

  it('reads a plain message as a delivery of one', () => {
    expect(parseDelivery(bytes(chatEvent(5)))).toEqual([chatEvent(5)]);
  });
});

describe('encodeDelivery / encodeDeliveries (the coordinator)', () => {
  it('sends one item plain, several as a batch whose items are the very same JSON, in order', () => {
    const items = [chatEvent(1), chatEvent(2), chatEvent(3)].map((event) => JSON.stringify(event));
    expect(encodeDelivery(items.slice(0, 1)).toString()).toBe(items[0]);
    const batch = JSON.parse(encodeDelivery(items).toString()) as unknown;
    expect(batch).toEqual({ type: BATCH_TYPE, items: [chatEvent(1), chatEvent(2), chatEvent(3)] });
    expect(parseDelivery(encodeDelivery(items))).toEqual([chatEvent(1), chatEvent(2), chatEvent(3)]);
  });

  it('splits a turn larger than MAX_BATCH_ITEMS into several deliveries, nothing lost or reordered', () => {
    const count = MAX_BATCH_ITEMS * 2 + 3;
    const bodies = encodeDeliveries(Array.from({ length: count }, (_, i) => JSON.stringify(chatEvent(i + 1))));
    expect(bodies).toHaveLength(3);
    const seqs = bodies.flatMap((body) => parseDelivery(body)).map((item) => (item instanceof WarrenError ? -1 : 'seq' in item ? item.seq : -1));
    expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  });
});

describe('DeliveryGroups', () => {
  it('groups by target in first-seen order, batches only where allowed, and keeps a lone reply’s correlation id', () => {
    const groups = new DeliveryGroups();
    groups.add('room.a', chatEvent(1));
    groups.add('q.bob', { type: 'done', requestId: 'r1' }, 'r1');
    groups.add('room.a', chatEvent(2));
    groups.add('q.old', { type: 'done', requestId: 'r2' }, 'r2');
    groups.add('q.old', { type: 'done', requestId: 'r3' }, 'r3');
    const out = [...groups.deliveries((target) => target !== 'q.old')];
    expect(out.map((delivery) => [delivery.target, delivery.correlationId])).toEqual([
      ['room.a', undefined],
      ['q.bob', 'r1'],
      ['q.old', 'r2'],
      ['q.old', 'r3'],
    ]);
    expect(JSON.parse(out[0]!.body.toString())).toEqual({ type: BATCH_TYPE, items: [chatEvent(1), chatEvent(2)] });
    expect(JSON.parse(out[1]!.body.toString())).toEqual({ type: 'done', requestId: 'r1' });
  });
});
