import type { Logger } from './logger.js';

/**
 * Work started but not finished (an input waiting for its confirms, a sweep's publishes): stop
 * waits for it. A failure is logged, never thrown: the input it belongs to was handed back and is
 * redelivered, and duplicates are recognised by id.
 */
export class InFlight {
  private readonly work = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    private readonly what = 'input not finished, left for redelivery',
  ) {}

  track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => {
      this.logger.warn(`${this.what}: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.work.add(tracked);
    void tracked.finally(() => this.work.delete(tracked));
  }

  /** Resolves once all tracked work settled, or after `timeoutMs`, whichever is first. */
  async settled(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    const all = Promise.allSettled([...this.work]);
    if (!Number.isFinite(timeoutMs)) {
      await all;
      return;
    }
    await Promise.race([all, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }
}
