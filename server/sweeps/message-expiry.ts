import type { HandlerContext } from '../handlers/context.js';
import { deliverToRoom } from '../handlers/room-delivery.js';
import { emptyOutcome, type Outcome } from '../outcome.js';

/** The longest delay setTimeout accepts; later expiries are re-armed when it fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Keeps one timer for the soonest message expiry. The store is the source of truth: at start the
 * coordinator schedules every message that has an expiry, so a restart misses none.
 */
export class ExpiryScheduler {
  private readonly due = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly onDue: (nums: number[]) => void) {}

  schedule(num: number, expiresAt: string): void {
    if (this.stopped) return;
    this.due.set(num, Date.parse(expiresAt));
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.due.size === 0) return;
    const soonest = Math.min(...this.due.values());
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_DELAY_MS, Math.max(0, soonest - Date.now())));
  }

  private fire(): void {
    const now = Date.now();
    const expired = [...this.due].filter(([, at]) => at <= now).map(([num]) => num);
    for (const num of expired) this.due.delete(num);
    if (expired.length > 0) this.onDue(expired);
    this.arm();
  }
}

/** Messages whose time is up: gone from the store and from every online member's view; the log keeps the event. */
export function expireMessages(nums: readonly number[], ctx: HandlerContext): Outcome {
  const outcome = emptyOutcome();
  const serverTs = ctx.now.toISOString();
  for (const num of nums) {
    const message = ctx.store.message(num);
    if (!message) continue;
    ctx.store.removeMessage(num);
    outcome.log.push({ kind: 'EXPIRE', serverTs, room: message.room, num });
    const room = ctx.store.room(message.room);
    if (room && ctx.activation.active) {
      deliverToRoom(outcome, ctx, room, { type: 'message.removed', room: room.name, num, seq: message.seq, reason: 'expired', serverTs });
    }
  }
  return outcome;
}
