import { randomBytes } from 'node:crypto';
import { CoordinatorLogins, MemoryCoordinatorLogins, type CoordinatorLoginStore } from './coordinator-logins.js';
import { amqpUrlWithCredentials, DEFAULT_COORDINATOR_USER } from '../../shared/broker-identity.js';
import { ConnectionTracker } from './connection-tracker.js';
import { PeerAllowList } from './peer-allow.js';
import { MemoryIdentityDirectory, type IdentityDirectory } from './directory.js';
import { AuthorityHttpServer, type AuthPath } from './http.js';
import { AuthorityPolicy, type BindResult, type Decision } from './policy.js';
import type { IdentityRecord } from './directory.js';

export interface AuthorityLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface AuthorityOptions {
  namespace: string;
  /** The broker's AMQP URL; credentials in it are ignored (the tracker logs in as the coordinator). */
  amqpUrl: string;
  /** Where the broker reaches the authority. Defaults 127.0.0.1 and 15680 (0 = any free port). */
  host?: string;
  port?: number;
  /** Default `warren-coordinator`. Its password is minted here, per start; only its digest is stored. */
  coordinatorUser?: string;
  /**
   * Where the live coordinators' password digests are shared (the store's `coordinator_logins`
   * when several coordinators share a store): this one's is recorded at start, refreshed every
   * minute and removed at stop, and the coordinator user is let in with any live one. Default: in
   * memory (only this coordinator's own password).
   */
  coordinatorLogins?: CoordinatorLoginStore;
  /** Who this coordinator is, in `coordinator_logins` (default host and pid). */
  instance?: string;
  /**
   * When the port is taken (another coordinator's authority on this host): `fail` (the default)
   * rejects `start`; `standby` serves without listening and tries the port again every
   * `standbyRetryMs` (default 200 ms), so it takes over within a moment of the holder's death.
   */
  whenPortTaken?: 'fail' | 'standby';
  standbyRetryMs?: number;
  legacyGuest?: boolean;
  /** Operator login for the management UI; absent = none. */
  adminPassword?: string;
  /**
   * The broker's management API (e.g. `http://rabbitmq:15672`). With it, `disconnect` closes a
   * revoked id's connections, which otherwise keep what their channels already used (the broker
   * caches allowed checks per channel). The authority logs in there as its own identity, minted
   * per start like the coordinator's password, good for the management API only.
   */
  managementUrl?: string;
  /** Default: in memory. The authority closes it on stop. */
  directory?: IdentityDirectory;
  maxConnectionsPerClient?: number;
  maxGuestConnections?: number;
  maxUnbound?: number;
  maxUnboundPerAddress?: number;
  unboundTtlMs?: number;
  unboundGraceMs?: number;
  /**
   * Who may ask the authority (server/authority/peer-allow.ts): `loopback`, addresses, host names
   * (resolved every 30 s). Default `['loopback']`. Everyone else gets 403 `deny`.
   */
  allowFrom?: readonly string[];
  revokedRetentionMs?: number;
  /** How often old unbound and revoked ids are forgotten. Default 30 s. */
  sweepIntervalMs?: number;
  logger?: AuthorityLogger;
  /** More `amq.rabbitmq.event` keys to follow (see ConnectionTrackerOptions.extraEvents) and their listener. */
  brokerEvents?: { keys: readonly string[]; onEvent: (routingKey: string, headers: Readonly<Record<string, unknown>>) => void };
  /** Every decision, e.g. to log refusals. */
  onDecision?: (path: AuthPath, fields: Readonly<Record<string, string>>, decision: Decision, micros: number) => void;
}

/**
 * The running authority: the HTTP server the broker asks, the policy behind it, and the event
 * stream that counts connections. The coordinator logs in with `coordinatorUrl`, binds a client
 * id to a name at login (`bind`) and revokes it when the session ends (`revoke`).
 */
export class Authority {
  readonly policy: AuthorityPolicy;
  readonly coordinatorUser: string;
  private readonly logins: CoordinatorLogins;
  private readonly operator = { username: 'warren-authority', password: randomBytes(32).toString('base64url') };
  private readonly http: AuthorityHttpServer;
  private readonly tracker: ConnectionTracker;
  private readonly directory: IdentityDirectory;
  private readonly peers: PeerAllowList;
  private sweeper: NodeJS.Timeout | undefined;
  private boundPort: number | undefined;
  private standbyTimer: NodeJS.Timeout | undefined;
  private standbyAttempt: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(private readonly options: AuthorityOptions) {
    this.coordinatorUser = options.coordinatorUser ?? DEFAULT_COORDINATOR_USER;
    this.logins = new CoordinatorLogins({
      store: options.coordinatorLogins ?? new MemoryCoordinatorLogins(),
      ...(options.instance === undefined ? {} : { instance: options.instance }),
      ...(options.logger ? { onError: (message: string) => options.logger?.warn(message) } : {}),
    });
    this.directory = options.directory ?? new MemoryIdentityDirectory();
    this.tracker = new ConnectionTracker({
      url: amqpUrlWithCredentials(options.amqpUrl, this.coordinatorUser, this.logins.password),
      namespace: options.namespace,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.brokerEvents ? { extraEvents: options.brokerEvents.keys, onEvent: options.brokerEvents.onEvent } : {}),
    });
    this.policy = new AuthorityPolicy({
      namespace: options.namespace,
      directory: this.directory,
      counts: this.tracker,
      coordinator: { username: this.coordinatorUser, password: this.logins.password },
      coordinatorLogins: this.logins,
      legacyGuest: options.legacyGuest ?? false,
      ...(options.managementUrl !== undefined ? { operator: this.operator } : {}),
      ...(options.adminPassword !== undefined ? { admin: { password: options.adminPassword } } : {}),
      ...(options.maxConnectionsPerClient !== undefined ? { maxConnectionsPerClient: options.maxConnectionsPerClient } : {}),
      ...(options.maxGuestConnections !== undefined ? { maxGuestConnections: options.maxGuestConnections } : {}),
      ...(options.maxUnbound !== undefined ? { maxUnbound: options.maxUnbound } : {}),
      ...(options.unboundTtlMs !== undefined ? { unboundTtlMs: options.unboundTtlMs } : {}),
      ...(options.maxUnboundPerAddress !== undefined ? { maxUnboundPerAddress: options.maxUnboundPerAddress } : {}),
      ...(options.unboundGraceMs !== undefined ? { unboundGraceMs: options.unboundGraceMs } : {}),
      ...(options.revokedRetentionMs !== undefined ? { revokedRetentionMs: options.revokedRetentionMs } : {}),
    });
    this.peers = new PeerAllowList(options.allowFrom ?? ['loopback'], 30_000, (message) => options.logger?.warn(message));
    this.http = new AuthorityHttpServer(this.policy, {
      allowPeer: (address) => this.peers.allows(address),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.onDecision ? { onDecision: options.onDecision } : {}),
    });
  }

  /**
   * Records this coordinator's password digest, listens (or stands by, see `whenPortTaken`), then
   * follows the broker's event stream in the background (the broker must be able to ask us, or the
   * authority holding the port, about that very login, so it cannot come first). Client
   * connections are refused until `ready()` resolves; the coordinator's own are not.
   */
  static async start(options: AuthorityOptions): Promise<Authority> {
    const authority = new Authority(options);
    try {
      authority.logins.start();
      await authority.peers.start();
      await authority.listenOrStandBy();
    } catch (err) {
      authority.peers.stop();
      authority.logins.stop();
      authority.directory.close();
      throw err;
    }
    authority.tracker.start();
    authority.sweeper = setInterval(() => authority.sweep(), options.sweepIntervalMs ?? 30_000);
    authority.sweeper.unref();
    return authority;
  }

  /** The port the broker must be configured with (auth_http.*_path): the one bound, or the one this authority stands by for. */
  get port(): number {
    const port = this.boundPort ?? (this.options.port === 0 ? undefined : (this.options.port ?? 15680));
    if (port === undefined) throw new Error('authority not listening');
    return port;
  }

  /** False while another coordinator's authority holds the port (standing by) and after stop. */
  get listening(): boolean {
    return this.boundPort !== undefined && this.stopping === undefined;
  }

  private async listenOrStandBy(): Promise<void> {
    const port = this.options.port ?? 15680;
    const host = this.options.host ?? '127.0.0.1';
    try {
      this.boundPort = await this.http.listen(port, host);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || this.options.whenPortTaken !== 'standby') throw err;
    }
    this.options.logger?.warn(`broker authority port ${port} is held by another coordinator on this host; standing by`);
    const retry = (): void => {
      this.standbyTimer = setTimeout(() => {
        this.standbyTimer = undefined;
        if (this.stopping) return;
        this.standbyAttempt = this.http.listen(port, host).then(
          (bound) => {
            this.boundPort = bound;
            if (!this.stopping) this.options.logger?.info(`broker authority port ${bound} taken over: this coordinator's authority answers the broker now`);
          },
          (err: NodeJS.ErrnoException) => {
            if (err.code !== 'EADDRINUSE') this.options.logger?.warn(`authority: listening on ${host}:${port} failed (${err.message}); trying again`);
            retry();
          },
        );
      }, this.options.standbyRetryMs ?? 200);
      this.standbyTimer.unref();
    };
    retry();
  }

  private sweep(): void {
    try {
      this.policy.sweep();
    } catch (err) {
      this.options.logger?.warn(`authority: forgetting old ids failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The broker URL with the coordinator's credentials: the coordinator's connections use it. */
  get coordinatorUrl(): string {
    return amqpUrlWithCredentials(this.options.amqpUrl, this.coordinatorUser, this.logins.password);
  }

  /** Resolves once connection counts are known (client logins are refused before). */
  ready(): Promise<void> {
    return this.tracker.whenLive();
  }

  /** Whether client connections can be counted right now. */
  get live(): boolean {
    return this.tracker.live;
  }

  bind(clientId: string, name: string): BindResult {
    return this.policy.bind(clientId, name);
  }

  revoke(clientId: string): void {
    this.policy.revoke(clientId);
  }

  /**
   * Closes every live connection of `username` through the management API (after `revoke`, so it
   * cannot come back). Resolves with how many were closed; never rejects (failures are logged).
   */
  async disconnect(username: string, reason = 'warren session ended'): Promise<number> {
    const base = this.options.managementUrl;
    if (base === undefined) return 0;
    const auth = `Basic ${Buffer.from(`${this.operator.username}:${this.operator.password}`).toString('base64')}`;
    let closed = 0;
    // The event stream knows only connections opened since this authority started; the
    // management API knows every one (a client connected before a coordinator restart too).
    const names = new Set([...this.tracker.connectionNames(username), ...(await this.listConnections(base, auth, username))]);
    for (const name of names) {
      try {
        const res = await fetch(new URL(`/api/connections/${encodeURIComponent(name)}`, base), {
          method: 'DELETE',
          headers: { authorization: auth, 'x-reason': reason },
          signal: AbortSignal.timeout(5_000),
        });
        if (res.ok || res.status === 404) closed += res.ok ? 1 : 0;
        else this.options.logger?.warn(`authority: closing connection ${name} of ${username}: HTTP ${res.status}`);
      } catch (err) {
        this.options.logger?.warn(`authority: closing connection ${name} of ${username}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return closed;
  }

  /**
   * `disconnect`, repeated until the id has nothing open. The management API lists a connection
   * only after its first statistics tick (about 5 s), so a connection opened just before the session
   * ended is not found at first; the event stream does know it, and says when none is left. Tries at
   * 0, 0.5, 1, 2, 4 s, then every 4 s, for at most `withinMs` (default 15 s), and once more after
   * any close, in case a connection was still being opened. Resolves with how many were closed.
   */
  async disconnectUntilGone(username: string, reason = 'warren session ended', withinMs = 15_000): Promise<number> {
    const started = Date.now();
    const delays = [500, 1_000, 2_000, 4_000];
    let closed = 0;
    for (let attempt = 0; this.stopping === undefined; attempt += 1) {
      const now = await this.disconnect(username, reason);
      closed += now;
      const gone = this.tracker.live && this.tracker.count(username) === 0;
      // Done when nothing is left and this try closed nothing (so a close is always re-checked).
      if (gone && now === 0) break;
      const wait = delays[Math.min(attempt, delays.length - 1)] ?? 4_000;
      if (Date.now() - started + wait > withinMs) {
        if (!gone) this.options.logger?.warn(`authority: ${username} still has a connection open ${Math.round((Date.now() - started) / 1000)} s after its session ended`);
        break;
      }
      await new Promise<void>((resolve) => setTimeout(resolve, wait).unref());
    }
    return closed;
  }

  /** Names of `username`'s live connections according to the management API; [] when it cannot say. */
  private async listConnections(base: string, auth: string, username: string): Promise<string[]> {
    try {
      const res = await fetch(new URL('/api/connections?columns=name,user', base), { headers: { authorization: auth }, signal: AbortSignal.timeout(5_000) });
      if (!res.ok) {
        this.options.logger?.warn(`authority: listing connections: HTTP ${res.status}`);
        return [];
      }
      const list = (await res.json()) as unknown;
      if (!Array.isArray(list)) return [];
      return list
        .filter((entry): entry is { name: string; user: string } => typeof entry === 'object' && entry !== null && typeof (entry as { name?: unknown }).name === 'string')
        .filter((entry) => entry.user === username)
        .map((entry) => entry.name);
    } catch (err) {
      this.options.logger?.warn(`authority: listing connections: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }

  identity(clientId: string): IdentityRecord | undefined {
    return this.policy.identity(clientId);
  }

  stats(): ReturnType<AuthorityHttpServer['stats']> {
    return this.http.stats();
  }

  /**
   * In order: no new decisions (HTTP; a standby stops trying the port), then the event stream,
   * then this coordinator's login from the shared store (the other authorities refuse it from
   * then on), then the directory the first ones read. Idempotent; never rejects.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        if (this.sweeper) clearInterval(this.sweeper);
        if (this.standbyTimer) clearTimeout(this.standbyTimer);
        // A try at the port in flight settles first, so what it bound is closed below.
        await this.standbyAttempt;
        this.peers.stop();
        await this.http.close().catch(() => undefined);
        await this.tracker.stop().catch(() => undefined);
        this.logins.stop();
        try {
          this.directory.close();
        } catch (err) {
          this.options.logger?.error(`authority: closing the identity directory failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      })();
    }
    return this.stopping;
  }
}
