import type { BrokerConnection, Topology } from '../shared/index.js';
import type { HandlerContext } from './handlers/context.js';
import type { Logger } from './logger.js';
import type { Outcome } from './outcome.js';
import type { Session } from './registry.js';

/**
 * What the coordinator lends an extension: its broker connection, its state (through a handler
 * context) and its way of carrying out an outcome (log first, then publish with confirms).
 */
export interface ExtensionHost {
  readonly connection: BrokerConnection;
  readonly topology: Topology;
  readonly logger: Logger;
  readonly prefetch: number;
  readonly sessionTimeoutMs: number;
  /** A context as of `now`, with no reply queue: an extension answers in its own protocol. */
  context(now: Date): HandlerContext;
  /** The coordinator's own path for an outcome; resolves once its publishes are confirmed. */
  carryOut(outcome: Outcome): Promise<void>;
}

/**
 * A second front door to the same coordinator (the Actividad 2 protocol is one): it consumes
 * inputs of its own and hands the coordinator outcomes, and it sees every outcome the
 * coordinator carries out, so it can pass the public chat on to its own clients.
 */
export interface CoordinatorExtension {
  /** Called once the coordinator serves; resolves when the extension serves too. */
  start(host: ExtensionHost): Promise<void>;
  /**
   * Every outcome, after its log lines are written and before anything is published. It may
   * publish on channels of its own, and drop replies addressed to its own sessions.
   */
  onOutcome(outcome: Outcome): void;
  /** Sessions this extension vouches for by other means; the heartbeat timeout leaves them alone. */
  keepsAlive(session: Session): boolean;
  /** Stop taking input and finish in-flight work; called before the coordinator closes the connection. */
  stop(): Promise<void>;
}
