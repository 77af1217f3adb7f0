import type { PresenceBatch, PresenceEvent } from '../../shared/index.js';

/** Presence changes that come less than this long after a publish are gathered into the next one. */
export const PRESENCE_WINDOW_MS = 200;

interface Batch {
  changes: PresenceEvent[];
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces presence. Every login and departure used to be one event to everyone online, so C
 * clients joining at once cost C² deliveries. A change with no publish in the last window goes out
 * at once, as a plain `presence` event; changes within the window after it wait for the window to
 * end and go out together, as one `presence.batch` (or a plain `presence` if there is only one).
 * Order is kept, and no change waits longer than the window.
 */
export class PresenceBatcher {
  private pending: Batch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly publish: (body: PresenceEvent | PresenceBatch) => Promise<unknown>,
    private readonly windowMs = PRESENCE_WINDOW_MS,
  ) {}

  /** Resolves once the message carrying this change is confirmed; rejects if its publish fails. */
  add(change: PresenceEvent): Promise<void> {
    if (this.stopped || this.timer === undefined) {
      if (!this.stopped) this.openWindow();
      return this.send([change]);
    }
    this.pending ??= batch();
    this.pending.changes.push(change);
    return this.pending.done;
  }

  /** Publishes what is waiting now; for something that must not overtake it (the `activated` event). */
  flush(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) this.send(pending.changes).then(pending.resolve, pending.reject);
  }

  /** Publishes what is waiting and stops gathering: from now on each change goes out at once. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private openWindow(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.pending) return;
      this.flush();
      // Just published: what comes next waits for the next window.
      this.openWindow();
    }, this.windowMs);
  }

  private async send(changes: PresenceEvent[]): Promise<void> {
    const last = changes[changes.length - 1];
    if (!last) return;
    await this.publish(changes.length === 1 ? last : { type: 'presence.batch', changes, serverTs: last.serverTs, online: last.online });
  }
}

function batch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { changes: [], done, resolve, reject };
}
