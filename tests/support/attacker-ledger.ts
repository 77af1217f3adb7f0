import type { AttackTally } from './attacker.js';

/** A line an honest user sent, or a line a user's screen or library showed. */
export interface Line {
  from: string;
  room: string;
  text: string;
}

export interface LedgerCounts {
  lost: number;
  duplicated: number;
  outOfOrder: number;
  forgedShown: number;
  details: string[];
}

/**
 * The honest users' conversation during the attacks: what each one sent, and what each one was
 * shown. After the attacks, every line sent must have been shown once to every viewer of its
 * room, in the order it was sent, and nothing else may claim an honest user (or anyone) as
 * author: a shown line that nobody sent is a forgery.
 */
export class ConversationLedger {
  private readonly sent: Line[] = [];
  private readonly optional: Line[] = [];
  private readonly shown = new Map<string, Line[]>();
  /** Who sees which room (general: everyone). */
  private readonly members = new Map<string, Set<string>>();

  viewer(name: string, rooms: string[] = ['general']): void {
    if (!this.shown.has(name)) this.shown.set(name, []);
    for (const room of rooms) {
      const set = this.members.get(room) ?? new Set<string>();
      set.add(name);
      this.members.set(room, set);
    }
  }

  /** A line sent by an honest user: every viewer of its room must be shown it. */
  said(line: Line): void {
    this.sent.push(line);
  }

  /** A line someone may be shown without anyone having to be (an attacker's own line, which a rate limit may refuse): not a forgery. */
  mayShow(line: Line): void {
    this.optional.push(line);
  }

  /** What `viewer` was shown (only lines of the suite's conversation and forgeries matter). */
  showed(viewer: string, line: Line): void {
    const list = this.shown.get(viewer);
    if (!list) throw new Error(`unknown viewer ${viewer}`);
    list.push(line);
  }

  sentCount(): number {
    return this.sent.length;
  }

  /** Whether every viewer of every room has been shown every line sent there (for waiting). */
  complete(): boolean {
    return this.count().lost === 0;
  }

  count(): LedgerCounts {
    const counts: LedgerCounts = { lost: 0, duplicated: 0, outOfOrder: 0, forgedShown: 0, details: [] };
    const key = (l: Line): string => `${l.room}\u0000${l.from}\u0000${l.text}`;
    const sentKeys = new Set([...this.sent, ...this.optional].map(key));
    for (const [viewer, lines] of this.shown) {
      const seen = new Map<string, number>();
      for (const line of lines) {
        seen.set(key(line), (seen.get(key(line)) ?? 0) + 1);
        if (!sentKeys.has(key(line))) {
          counts.forgedShown += 1;
          counts.details.push(`${viewer} was shown a forged line ${JSON.stringify(line)}`);
        }
      }
      const expected = this.sent.filter((l) => this.members.get(l.room)?.has(viewer));
      for (const line of expected) {
        const n = seen.get(key(line)) ?? 0;
        if (n === 0) {
          counts.lost += 1;
          counts.details.push(`${viewer} never saw ${JSON.stringify(line)}`);
        } else if (n > 1) {
          counts.duplicated += n - 1;
          counts.details.push(`${viewer} saw ${JSON.stringify(line)} ${n} times`);
        }
      }
      // Order: per sender and room, the shown honest lines are in the order they were sent.
      const senders = new Set(expected.map((l) => `${l.room}\u0000${l.from}`));
      for (const s of senders) {
        const order = expected.filter((l) => `${l.room}\u0000${l.from}` === s).map(key);
        const got = lines.map(key).filter((k) => order.includes(k));
        const firsts = got.filter((k, i) => got.indexOf(k) === i);
        const wanted = order.filter((k) => firsts.includes(k));
        if (firsts.join('\n') !== wanted.join('\n')) {
          counts.outOfOrder += 1;
          counts.details.push(`${viewer} saw ${s.replace('\u0000', '/')} out of order`);
        }
      }
    }
    return counts;
  }

  /** Adds the counts to the tally (printed by the suite). */
  settle(tally: AttackTally): LedgerCounts {
    const counts = this.count();
    tally.lost += counts.lost;
    tally.duplicated += counts.duplicated;
    tally.outOfOrder += counts.outOfOrder;
    tally.forgedShown += counts.forgedShown;
    return counts;
  }
}
