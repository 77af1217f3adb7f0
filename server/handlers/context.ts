import type { Topology } from '../../shared/index.js';
import type { Admitted } from '../accounts/admission.js';
import type { Activation } from '../state/activation.js';
import type { Registry } from '../state/registry.js';
import type { AccountStore } from '../store/account-store.js';
import type { Store } from '../store/store.js';

export interface HandlerContext {
  registry: Registry;
  store: Store;
  /** Registered names and their password hashes. */
  accounts: AccountStore;
  topology: Topology;
  activation: Activation;
  /** Remembers a message's expiry so the coordinator removes it on time. */
  expiry: { schedule(num: number, expiresAt: string): void };
  limits: { historyOnJoin: number; sessionTimeoutMs: number; heartbeatIntervalMs: number };
  now: Date;
  /** The `replyTo` of the delivery if it names one of this namespace's client queues. */
  replyTo: string | undefined;
  /** What was decided about this input before the batch (rate limits, password work); absent for work of the coordinator's own. */
  admitted?: Admitted | undefined;
  /** Whether a chat log of the log folder has this message's line (a redelivery after another coordinator died); absent: no. */
  loggedElsewhere?: ((id: string) => boolean) | undefined;
}
