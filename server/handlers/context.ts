import type { Topology } from '../../shared/index.js';
import type { Activation } from '../state/activation.js';
import type { Registry } from '../state/registry.js';
import type { Store } from '../store/store.js';

export interface HandlerContext {
  registry: Registry;
  store: Store;
  topology: Topology;
  activation: Activation;
  /** Remembers a message's expiry so the coordinator removes it on time. */
  expiry: { schedule(num: number, expiresAt: string): void };
  limits: { historyOnJoin: number; sessionTimeoutMs: number; heartbeatIntervalMs: number };
  now: Date;
  /** The `replyTo` of the delivery if it names one of this namespace's client queues. */
  replyTo: string | undefined;
}
