import type { Topology } from '../../shared/index.js';
import type { Registry } from '../registry.js';
import type { Store } from '../store/store.js';

export interface HandlerContext {
  registry: Registry;
  store: Store;
  topology: Topology;
  limits: { historyOnJoin: number; sessionTimeoutMs: number; heartbeatIntervalMs: number };
  now: Date;
  /** The `replyTo` of the delivery if it names one of this namespace's client queues. */
  replyTo: string | undefined;
}
