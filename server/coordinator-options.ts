import type { NodeOrder, QueueCaps } from '../shared/index.js';
import type { SecureBrokerSettings } from './authority/broker-access.js';
import type { ScryptParams } from './accounts/password-hash.js';
import type { CoordinatorExtension } from './extension.js';
import type { Logger } from './logger.js';
import type { CoordinatorMetrics } from './observability/coordinator-metrics.js';
import type { RateRules } from './rate-limits/rate-limits.js';
import type { StoreConfig } from './store/open-store.js';
import type { SqlStore } from './store/sql-store.js';

/**
 * How the coordinator meets the broker (docs/SECURITY.md). `secure`: it starts the authority the
 * broker asks about every login and permission, connects as its own broker user, and takes each
 * input's sender from the broker-checked `userId`. `open`: everyone is guest on a plain broker and
 * nothing is checked; anyone on that broker can read and forge everything.
 */
export type BrokerSecurity = { mode: 'open' } | ({ mode: 'secure' } & SecureBrokerSettings);

export interface CoordinatorOptions {
  amqpUrl: string;
  /** Required: open mode must be chosen explicitly (server/config.ts defaults to secure). */
  security: BrokerSecurity;
  namespace: string;
  /** SQLite's directory (the store's file, unless `postgres` is set). */
  dataDir: string;
  /** Keep the store in PostgreSQL (WARREN_STORE_URL, WARREN_STORE_SCHEMA) instead of SQLite. */
  postgres?: { url: string; schema: string };
  logDir: string;
  sessionTimeoutMs: number;
  historyOnJoin: number;
  prefetch: number;
  /** Group commit across turns (WARREN_COMMIT_WINDOW_MS; input-pipeline.ts); default 0: a batch every turn. */
  commitWindowMs?: number;
  /** TCP_NODELAY on the broker socket (WARREN_AMQP_NO_DELAY); default true. */
  amqpNoDelay?: boolean;
  /** Seconds between AMQP heartbeats (WARREN_AMQP_HEARTBEAT); default 5. */
  amqpHeartbeatSeconds?: number;
  /**
   * With several nodes in `amqpUrl` (WARREN_AMQP_NODE_ORDER): `spread` (default) starts at a random
   * one, `listed` at the first. Nothing of the coordinator needs a particular node: its authority
   * follows the broker's event stream on every node of the list whichever node this is, and any
   * node can reach the input queues (docs/RELIABILITY.md "Three-node cluster").
   */
  amqpNodeOrder?: NodeOrder;
  /** Users that must have been online at once before anyone sees the chat (1: always active). */
  minUsers?: number;
  /** Per-user rate limits (server/rate-limits/); a kind set to null is off. Default: DEFAULT_RATE_RULES. */
  rateRules?: RateRules;
  /** scrypt cost of new password hashes (tests lower it); default DEFAULT_SCRYPT_PARAMS. */
  scrypt?: ScryptParams;
  /** Caps of the input and dead-letter queues (settings; DEFAULT_QUEUE_CAPS). */
  queueCaps?: QueueCaps;
  /** Bytes of a refused body its dead-letter copy keeps. */
  deadLetterBodyBytes?: number;
  /** How often the topology watch checks that queues, exchanges and bindings are still there. */
  topologyCheckMs?: number;
  /** How often start-up tries again after a 406 from a queue an earlier version declared. */
  preconditionRetryMs?: number;
  /** The chat log's file name in logDir; `%h` is the host's name (several coordinators sharing one folder). Default chat.log. */
  chatLogFile?: string;
  /** Input partitions of each kind (shared/input-partitions.ts); the same on every coordinator of a deployment. Default 1. */
  inputPartitions?: number;
  /** How long a partition taken over from a live coordinator waits (server/input/partition-share.ts); tests set it. Default TAKEOVER_GRACE_MS. */
  takeoverGraceMs?: number;
}

/** What the coordinator does not build itself: an extension (main.ts passes the legacy bridge), and faults for tests. */
export interface CoordinatorDeps {
  store?: SqlStore;
  extension?: CoordinatorExtension;
  /** Counts, latencies and gauges for /metrics (main.ts builds it when metrics are on). */
  metrics?: CoordinatorMetrics;
}

/** Where the options keep the store: the PostgreSQL schema if one is given, else SQLite's file in `dataDir`, checkpointed on a background thread. */
export function storeConfigOf(options: Pick<CoordinatorOptions, 'dataDir' | 'postgres'>, logger: Logger): StoreConfig {
  if (options.postgres) return { engine: 'postgres', ...options.postgres };
  return {
    engine: 'sqlite',
    dataDir: options.dataDir,
    backgroundCheckpoints: true,
    onCheckpointFailure: (reason) => logger.warn(`the checkpoint thread failed (${reason}); SQLite checkpoints inside commits again`),
  };
}
