import { departure } from '../handlers/departure.js';
import type { Logger } from '../logger.js';
import type { Outcome } from '../outcome.js';
import type { Registry, Session } from '../state/registry.js';
import type { AccountStore } from '../store/account-store.js';
import type { Store } from '../store/store.js';

export interface SessionSweepOptions {
  registry: Registry;
  /** For forgetting a guest name whose session timed out. */
  store: Store;
  accounts: AccountStore;
  sessionTimeoutMs: number;
  /**
   * Since when clients could reach this coordinator without a break: the broker connection up and
   * every input queue it holds delivering (input-liveness.ts); undefined while either is not so.
   */
  reachableSinceMs: () => number | undefined;
  /** Sessions vouched for by other means (an extension's clients); never timed out here. */
  keepsAlive: (session: Session) => boolean;
  carryOut: (outcome: Outcome) => void;
  logger: Logger;
}

/** Logs out the sessions whose heartbeat stopped: the name is freed and everyone is told. */
export class SessionSweep {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SessionSweepOptions) {}

  start(): void {
    const every = Math.max(200, Math.min(1000, Math.floor(this.options.sessionTimeoutMs / 5)));
    this.timer = setInterval(() => this.sweep(), every);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  sweep(now = new Date()): void {
    const { registry, store, accounts, sessionTimeoutMs, logger } = this.options;
    // Nobody can reach us while the broker is away or our input is stalled, so a session only
    // expires after a full timeout of the coordinator being reachable (restored sessions get the
    // same grace after a restart).
    const reachableSince = this.options.reachableSinceMs();
    if (reachableSince === undefined || now.getTime() - reachableSince < sessionTimeoutMs) return;
    for (const session of registry.expired(now)) {
      if (this.options.keepsAlive(session)) continue;
      logger.info(`session of ${session.name} timed out`);
      this.options.carryOut(departure(session, 'timeout', { registry, store, accounts, now }));
    }
  }
}
