import { isClientId } from '../../shared/broker-identity.js';
import type { Logger } from '../logger.js';
import { Authority, type AuthorityOptions } from './authority.js';
import type { CoordinatorLoginStore } from './coordinator-logins.js';
import type { IdentityDirectory, IdentityState } from './directory.js';
import type { BindResult } from './policy.js';

/** Secure mode's settings (the coordinator's BrokerSecurity without its `mode`). */
export interface SecureBrokerSettings {
  authorityHost: string;
  /** 0: any free port (tests that start the broker after the coordinator). */
  authorityPort: number;
  coordinatorUser: string;
  /** Legacy mode: guest may log in, on the Actividad 2 names only. */
  legacyGuest: boolean;
  adminPassword?: string;
  managementUrl?: string;
  /** Grace before closing an ended session's connections (default 2 s: time to take the goodbye). */
  disconnectAfterMs?: number;
  /** Who may ask the authority: `loopback`, addresses, host names (default loopback only). */
  authorityAllowFrom?: readonly string[];
  /** Connected unbound ids from one client address (default 50). */
  maxUnboundPerAddress?: number;
}

/**
 * The coordinator's side of secure mode (docs/SECURITY.md): starts the authority the broker asks
 * about every login and permission, gives the URL the coordinator logs in with, binds and revokes
 * client ids as sessions start and end, and closes an ended session's broker connections.
 */
export class SecureBrokerAccess {
  private readonly pendingDisconnects = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly authority: Authority,
    private readonly settings: SecureBrokerSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * The authority first (the broker asks it, or the authority of another coordinator holding the
   * port, about our own login), with the identities and coordinator logins the store keeps, so a
   * restart keeps clients working and several coordinators on one store let each other in. When
   * another coordinator on this host holds the port, this one stands by and takes it over when
   * that one goes.
   */
  static async start(options: {
    settings: SecureBrokerSettings;
    namespace: string;
    amqpUrl: string;
    directory: IdentityDirectory;
    coordinatorLogins: CoordinatorLoginStore;
    brokerEvents: NonNullable<AuthorityOptions['brokerEvents']>;
    logger: Logger;
  }): Promise<SecureBrokerAccess> {
    const { settings, logger } = options;
    const authority = await Authority.start({
      namespace: options.namespace,
      amqpUrl: options.amqpUrl,
      host: settings.authorityHost,
      port: settings.authorityPort,
      coordinatorUser: settings.coordinatorUser,
      legacyGuest: settings.legacyGuest,
      directory: options.directory,
      coordinatorLogins: options.coordinatorLogins,
      whenPortTaken: 'standby',
      logger,
      ...(settings.adminPassword === undefined ? {} : { adminPassword: settings.adminPassword }),
      ...(settings.managementUrl === undefined ? {} : { managementUrl: settings.managementUrl }),
      ...(settings.authorityAllowFrom === undefined ? {} : { allowFrom: settings.authorityAllowFrom }),
      ...(settings.maxUnboundPerAddress === undefined ? {} : { maxUnboundPerAddress: settings.maxUnboundPerAddress }),
      // The broker's event stream tells the topology watch at once when a queue, exchange, binding or consumer of ours goes.
      brokerEvents: options.brokerEvents,
    });
    if (authority.listening) logger.info(`broker authority listening on ${settings.authorityHost}:${authority.port}; connecting as ${settings.coordinatorUser}`);
    else logger.info(`connecting as ${settings.coordinatorUser}, let in by the authority of the coordinator holding port ${authority.port}`);
    return new SecureBrokerAccess(authority, settings, logger);
  }

  /** The coordinator's own login: its user and the password minted at this start. */
  get coordinatorUrl(): string {
    return this.authority.coordinatorUrl;
  }

  get port(): number {
    return this.authority.port;
  }

  /** False while standing by (another coordinator on this host holds the port): not a failure. */
  get listening(): boolean {
    return this.authority.listening;
  }

  /** Client logins are refused until the authority follows the broker's connection events: wait for that, saying so when slow. */
  async ready(): Promise<void> {
    const slow = setTimeout(
      () => this.logger.warn('the broker authority does not follow the connection events yet (is rabbitmq_event_exchange enabled?); client logins are refused until it does'),
      10_000,
    );
    await this.authority.ready().finally(() => clearTimeout(slow));
  }

  identity(clientId: string): { state: IdentityState; name: string | null } | undefined {
    return this.authority.identity(clientId);
  }

  bind(clientId: string, name: string): BindResult {
    return this.authority.bind(clientId, name);
  }

  /** Refused at the broker from now on, before anything about the ended session is published. */
  revoke(clientIds: readonly string[]): void {
    for (const id of clientIds) if (isClientId(id)) this.authority.revoke(id);
  }

  /**
   * After the goodbye is confirmed, and a grace to take it: close what the id still has open (the
   * broker keeps the rights a channel already used until its connection closes). A client that
   * left by itself has nothing open by then.
   */
  disconnectLater(clientIds: readonly string[]): void {
    if (this.settings.managementUrl === undefined) return;
    for (const id of clientIds) {
      if (!isClientId(id)) continue;
      const timer = setTimeout(() => {
        this.pendingDisconnects.delete(timer);
        void this.authority.disconnectUntilGone(id).then((closed) => {
          if (closed > 0) this.logger.info(`closed ${closed} broker connection(s) of ended client ${id}`);
        });
      }, this.settings.disconnectAfterMs ?? 2000);
      timer.unref();
      this.pendingDisconnects.add(timer);
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.pendingDisconnects) clearTimeout(timer);
    this.pendingDisconnects.clear();
    await this.authority.stop();
  }
}
