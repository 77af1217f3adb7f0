import type { Store } from '../store/store.js';

const FLAG = 'active';

/**
 * The activation threshold: nobody sees the chat until `minUsers` users have been online at
 * once; from then on it stays active, across restarts too (the flag is in the store).
 */
export class Activation {
  private activeNow: boolean;

  constructor(
    private readonly store: Store,
    readonly minUsers: number,
  ) {
    this.activeNow = minUsers <= 1 || store.getFlag(FLAG) === '1';
  }

  get active(): boolean {
    return this.activeNow;
  }

  /** Call with the number of users online; true exactly once, when the threshold is reached. */
  observe(online: number): boolean {
    if (this.activeNow || online < this.minUsers) return false;
    this.activeNow = true;
    this.store.setFlag(FLAG, '1');
    return true;
  }
}
