import { mapBrokerUrls } from './broker-urls.js';
import { randomBytes } from 'node:crypto';

/**
 * Who a client is at the broker in secure mode (docs/SECURITY.md): a client id it mints itself at
 * start, used as its broker user name, and a secret used as its password. The authority
 * (server/authority/) registers the pair on first use and binds the id to a chat name at login.
 */
export interface ClientCredentials {
  /** `c-` + 22 base64url characters (128 random bits). */
  readonly clientId: string;
  /** 43 base64url characters (256 random bits). Never leaves the client except as the AMQP password. */
  readonly secret: string;
}

export const CLIENT_ID_PATTERN = /^c-[A-Za-z0-9_-]{22}$/;
/** What the authority accepts as a secret: the minted form, so a password of another shape is refused outright. */
export const CLIENT_SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The coordinator's broker user when nothing else is configured (WARREN_COORDINATOR_USER). */
export const DEFAULT_COORDINATOR_USER = 'warren-coordinator';

export function isClientId(value: string): boolean {
  return CLIENT_ID_PATTERN.test(value);
}

export function isClientSecret(value: string): boolean {
  return CLIENT_SECRET_PATTERN.test(value);
}

/** A fresh id and secret. A restarted client mints new ones: a revoked id never comes back. */
export function mintClientCredentials(): ClientCredentials {
  return {
    clientId: `c-${randomBytes(16).toString('base64url')}`,
    secret: randomBytes(32).toString('base64url'),
  };
}

/**
 * `baseUrl` (host, port, vhost, query kept) with the given user and password, URL-encoded, so
 * any character in them survives (amqplib decodes them). Whatever credentials `baseUrl` carried
 * are replaced. A list of URLs (every node of a cluster) gets them on each URL.
 */
export function amqpUrlWithCredentials(baseUrl: string, username: string, password: string): string {
  return mapBrokerUrls(baseUrl, (one) => {
    const url = new URL(one);
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new Error(`not an AMQP URL: ${url.protocol}`);
    url.username = encodeURIComponent(username);
    url.password = encodeURIComponent(password);
    return url.toString();
  });
}

/** The URL (or each URL of a list) with its password replaced by `***`, for log lines and start-up banners. */
export function redactAmqpUrl(raw: string): string {
  return mapBrokerUrls(raw, (one) => {
    try {
      const url = new URL(one);
      if (url.password) url.password = '***';
      return url.toString();
    } catch {
      return '(unparseable URL)';
    }
  });
}
