import { ERROR_CODES, WarrenError, checkUserName, nameKey, type Topology } from '../../shared/index.js';
import { isClientId } from '../../shared/broker-identity.js';
import type { BindResult, IdentityState } from '../authority/index.js';
import type { Registry } from '../state/registry.js';

/** What the input path needs of the authority (server/authority/): read an id's state, bind it at login. */
export interface IdentityBinder {
  identity(clientId: string): { state: IdentityState; name: string | null } | undefined;
  bind(clientId: string, name: string): BindResult;
}

/**
 * Secure mode's rules for an input (docs/PROTOCOL.md §4). RabbitMQ refuses a publish whose
 * `userId` is not the publisher's login, so `userId` says which client sent it. The sender is
 * that client: its replies go to the queue derived from it (any `replyTo` is ignored), a session
 * token is honoured only from the client that logged in with it, and login binds the id to the name.
 */
export class SenderGuard {
  constructor(
    private readonly topology: Topology,
    private readonly identities: IdentityBinder,
  ) {}

  /** The verified client id of a delivery, or undefined when it carries none (refused: SENDER_UNVERIFIED). */
  senderOf(userId: unknown): string | undefined {
    return typeof userId === 'string' && isClientId(userId) ? userId : undefined;
  }

  replyQueue(sender: string): string {
    return this.topology.clientQueue(sender);
  }

  /** Before a login is handled: it must name its own id, and the id must be live and free for this name. */
  checkLogin(sender: string, request: { clientId: string; name: string }): void {
    if (request.clientId !== sender) {
      throw new WarrenError(ERROR_CODES.INVALID_MESSAGE, 'clientId must be the broker user you are connected as');
    }
    const identity = this.identities.identity(sender);
    if (!identity || identity.state === 'revoked') {
      throw new WarrenError(ERROR_CODES.SENDER_UNVERIFIED, 'this client id is no longer valid (its session ended); restart the client');
    }
    if (identity.state === 'bound' && identity.name !== null) {
      const check = checkUserName(request.name);
      if (!check.ok || nameKey(check.name) !== nameKey(identity.name)) {
        throw new WarrenError(ERROR_CODES.INVALID_MESSAGE, `this client is logged in as "${identity.name}" already; restart the client to use another name`);
      }
    }
  }

  /** After a login was accepted as `name`: the id speaks for it from now on (and may read `<ns>.events`). */
  bindLogin(sender: string, name: string): BindResult {
    return this.identities.bind(sender, name);
  }

  /**
   * A token proves a session only together with the client that holds it: a token seen by anyone
   * else is worth nothing. Answers SESSION_UNKNOWN exactly as for an unknown token, so a stolen
   * one cannot even be confirmed.
   */
  checkToken(registry: Registry, sender: string, token: string): void {
    const session = registry.authenticate(token);
    if (session.clientId !== sender) throw new WarrenError(ERROR_CODES.SESSION_UNKNOWN, 'unknown or expired session; log in again');
  }
}
