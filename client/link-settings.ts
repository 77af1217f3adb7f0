import type { ClientSecurity, WarrenClientOptions } from './lib/api-types.js';
// The modules themselves, not shared/index.js: the terminal client's name prompt shows before the rest of shared/ loads.
import {
  AMQP_HEARTBEAT_SETTING,
  AMQP_NODE_ORDER_SETTING,
  AMQP_URL_SETTING,
  COORDINATOR_USER_SETTING,
  INSECURE_OPEN_BROKER_SETTING,
  namespaceSchema,
  setting,
  wholeNumber,
  type SettingsOf,
} from '../shared/settings.js';

/**
 * The settings of a client's link to the broker and the coordinator. The terminal client
 * (client/config.ts) and each browser session of the web gateway (server/web/config.ts) take the
 * same ones, with the same meaning, and build the client library's options from them here.
 */
export const CLIENT_LINK_SETTINGS = {
  amqpUrl: AMQP_URL_SETTING,
  namespace: setting({ env: 'WARREN_NAMESPACE', flag: 'namespace', description: 'prefix of every exchange and queue name (must match the coordinator)', default: 'warren', schema: namespaceSchema }),
  insecureOpenBroker: INSECURE_OPEN_BROKER_SETTING,
  coordinatorUser: COORDINATOR_USER_SETTING,
  amqpHeartbeat: AMQP_HEARTBEAT_SETTING,
  amqpNodeOrder: AMQP_NODE_ORDER_SETTING,
  requestTimeout: setting({ env: 'WARREN_REQUEST_TIMEOUT', flag: 'request-timeout', description: 'seconds to wait for the coordinator to answer a request', default: 10, schema: wholeNumber(1, 600) }),
};

export type ClientLinkSettings = SettingsOf<typeof CLIENT_LINK_SETTINGS>;

/** What the client library is told about the broker's security (client/lib/api-types.ts ClientSecurity). */
export function linkSecurity(settings: ClientLinkSettings): ClientSecurity {
  return settings.insecureOpenBroker ? { mode: 'open' } : { mode: 'secure', coordinatorUser: settings.coordinatorUser };
}

/** The client library's options from the link settings. Under `spread`, each client starts at a node of its own. */
export function linkOptions(settings: ClientLinkSettings): WarrenClientOptions {
  return {
    amqpUrl: settings.amqpUrl,
    namespace: settings.namespace,
    security: linkSecurity(settings),
    requestTimeoutMs: settings.requestTimeout * 1000,
    heartbeatSeconds: settings.amqpHeartbeat,
    nodeOrder: settings.amqpNodeOrder,
  };
}
