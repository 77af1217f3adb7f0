import type { Topology } from '../../shared/index.js';
import type { Admitted } from '../accounts/admission.js';
import { loggedInFolder } from '../log/chat-log-repair.js';
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

/** What one coordinator's handler contexts share; each input adds its time and reply queue. */
export type ContextParts = Pick<HandlerContext, 'activation' | 'expiry' | 'registry' | 'store' | 'accounts' | 'topology'> & {
  /** The chat log's folder: a redelivered message may have its line in another coordinator's log there. */
  logDir: string;
  historyOnJoin: number;
  sessionTimeoutMs: number;
};

/**
 * The context of each input (and of the coordinator's own work, with no reply queue). Built as
 * one literal of a fixed shape, with what does not change made once: a spread of the shared
 * parts and a new closure per input were ~4% of the coordinator's busy time at full speed.
 */
export function contextsFor(parts: ContextParts): (now: Date, replyTo: string | undefined) => HandlerContext {
  const { activation, expiry, registry, store, accounts, topology, logDir, historyOnJoin, sessionTimeoutMs } = parts;
  const limits = Object.freeze({ historyOnJoin, sessionTimeoutMs, heartbeatIntervalMs: Math.max(100, Math.floor(sessionTimeoutMs / 3)) });
  const loggedElsewhere = (id: string): boolean => loggedInFolder(logDir, id);
  return (now, replyTo) => ({ activation, expiry, registry, store, accounts, topology, limits, now, replyTo, admitted: undefined, loggedElsewhere });
}
