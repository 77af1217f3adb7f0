import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

/** The store's flag holding the last moment any coordinator saw one of its input queues stalled (ms since the epoch). */
export const STALL_FLAG = 'input-stalled-at';

/**
 * What one coordinator's stall means for the others (docs/RELIABILITY.md "Sessions and a stalled
 * input"). Every coordinator of a deployment sweeps every session of the shared store, but only the
 * one holding a queue can see that it delivers nothing: a standby, or a coordinator holding other
 * partitions, would time out the sessions whose heartbeats wait there. So a stalled coordinator
 * writes the time to the store at each of its probe rounds, and every sweep counts its timeout from
 * the last such time at the earliest. Times are compared across hosts: their clocks must agree
 * (NTP), as they must for the chat log's order.
 */
export class StallRecord {
  constructor(
    private readonly store: Pick<Store, 'getFlag' | 'setFlag'>,
    private readonly logger: Logger,
  ) {}

  /** A queue held here is stalled at `atMs`. */
  note(atMs: number): void {
    try {
      this.store.setFlag(STALL_FLAG, String(atMs));
    } catch (err) {
      this.logger.warn(`could not record the input stall in the store: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The last stall any coordinator recorded; 0 when none ever did (or the store cannot say). */
  lastMs(): number {
    try {
      const value = Number(this.store.getFlag(STALL_FLAG));
      return Number.isFinite(value) ? value : 0;
    } catch {
      return 0;
    }
  }
}
