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
