import type { BrokerConnection, Topology } from '../shared/index.js';
import type { HandlerContext } from './handlers/context.js';
import type { Logger } from './logger.js';
import type { Outcome } from './outcome.js';
import type { Session } from './state/registry.js';

/**
 * What the coordinator lends an extension: its broker connection and its state (through a handler
 * context). Nothing here carries an outcome out: an extension hands its decisions back as
 * `ExtensionWork`, and the coordinator's outcome publisher does the rest.
 */
export interface ExtensionHost {
  readonly connection: BrokerConnection;
  readonly topology: Topology;
  readonly logger: Logger;
  readonly prefetch: number;
  readonly sessionTimeoutMs: number;
  /** A context as of `now`, with no reply queue: an extension answers in its own protocol. */
  context(now: Date): HandlerContext;
}

/**
 * An outcome an extension decided (on an input of its own, or for a client it found gone), to be
 * carried out like any other: log first, then publish with confirms. `settled` is told how that
 * went (no argument: done), so the extension can ack its own input or hand it back.
 */
export interface ExtensionWork {
  outcome: Outcome;
  settled(err?: unknown): void;
}

/**
 * A second front door to the same coordinator (the Actividad 2 protocol is one). Control only goes
 * one way: the coordinator calls the extension, and the extension hands back work to carry out and
 * says which replies it takes over; it never edits an outcome nor calls into the coordinator.
 */
export interface CoordinatorExtension {
  /** Called once, before `start`: where the extension's work goes. */
  onWork(listener: (work: ExtensionWork) => void): void;
  /** Called once the coordinator serves; resolves when the extension serves too. */
  start(host: ExtensionHost): Promise<void>;
  /** Replies to this queue are the extension's: the coordinator does not publish them. */
  takesOver(queue: string): boolean;
  /**
   * Every outcome, after its log lines are written and before anything is published; read only.
   * The extension may pass what it sees on to its own clients, on channels of its own.
   */
  observe(outcome: Readonly<Outcome>): void;
  /** Sessions this extension vouches for by other means; the heartbeat timeout leaves them alone. */
  keepsAlive(session: Session): boolean;
  /** Stop taking input and finish in-flight work; called before the coordinator closes the connection. */
  stop(): Promise<void>;
}
