import { describe, expect, it } from '@jest/globals';
import { ConversationLedger } from '../support/attacker-ledger.js';
import { AttackTally } from '../support/attacker.js';

/** The attack suite's bookkeeping must catch what it claims to catch: a ledger that cannot count a loss proves nothing. */
describe('the attack suite’s conversation ledger', () => {
  const line = (from: string, text: string): { from: string; room: string; text: string } => ({ from, room: 'general', text });

  it('counts a lost, a duplicated, a reordered and a forged line', () => {
    const ledger = new ConversationLedger();
    ledger.viewer('alice');
    ledger.viewer('bob');
    for (const text of ['1', '2', '3']) ledger.said(line('bob', text));
    ledger.showed('alice', line('bob', '1'));
    ledger.showed('alice', line('bob', '3'));
    ledger.showed('alice', line('bob', '2'));
    ledger.showed('alice', line('bob', '3'));
    ledger.showed('bob', line('bob', '1'));
    ledger.showed('bob', line('bob', '2'));
    ledger.showed('bob', line('bob', 'forged'));
    const tally = new AttackTally('ledger');
    const counts = ledger.settle(tally);
    expect({ lost: counts.lost, duplicated: counts.duplicated, outOfOrder: counts.outOfOrder, forgedShown: counts.forgedShown }).toEqual({ lost: 1, duplicated: 1, outOfOrder: 1, forgedShown: 1 });
    expect(tally.summary()).toContain('messagesLost=1 forgedShown=1');
  });

  it('a line only a room’s members see is not lost for others; a complete conversation counts zero', () => {
    const ledger = new ConversationLedger();
    ledger.viewer('alice', ['general', 'secret']);
    ledger.viewer('bob');
    ledger.said({ from: 'alice', room: 'secret', text: 's' });
    ledger.said(line('bob', 'g'));
    ledger.showed('alice', { from: 'alice', room: 'secret', text: 's' });
    ledger.showed('alice', line('bob', 'g'));
    ledger.showed('bob', line('bob', 'g'));
    expect(ledger.complete()).toBe(true);
    expect(ledger.count().details).toEqual([]);
  });

  it('the tally lists what got through', () => {
    const tally = new AttackTally('t');
    tally.record('consume the input', 'broker 403', '403', true);
    tally.record('read a DM', 'broker 403', 'ok', false);
    expect([tally.attempts, tally.refused]).toEqual([2, 1]);
    expect(tally.summary()).toContain('GOT THROUGH: read a DM (expected broker 403, got ok)');
  });
});
