/**
 * The repository's broker configuration (broker/rabbitmq.conf) adapted to another place: a private
 * node for the tests or `npm run broker:secure`. Only ports, listen addresses and the authority's
 * origin change (and where the definitions file is); every other key is kept as the deployment has it, so what is tested is what runs.
 */

export interface BrokerConfigPlacement {
  /** AMQP listener. */
  host: string;
  amqpPort: number;
  managementPort: number;
  prometheusPort: number;
  /** Where the authority listens, e.g. `http://127.0.0.1:15680`; replaces the origin of every `auth_http.*_path`. */
  authorityOrigin: string;
  /** Absolute path of the definitions file (broker/definitions.json) for `load_definitions`; absent = kept as is. */
  definitionsFile?: string;
}

const AUTH_PATH_KEYS = ['auth_http.user_path', 'auth_http.vhost_path', 'auth_http.resource_path', 'auth_http.topic_path'] as const;

/** `key = value` lines of a rabbitmq.conf (new-style, sysctl-like); comments and blanks are kept. */
export function rewriteBrokerConfig(text: string, placement: BrokerConfigPlacement): string {
  const origin = new URL(placement.authorityOrigin).origin;
  const set: Record<string, string> = {
    'listeners.tcp.default': `${placement.host}:${placement.amqpPort}`,
    'management.tcp.ip': placement.host,
    'management.tcp.port': String(placement.managementPort),
    'prometheus.tcp.ip': placement.host,
    'prometheus.tcp.port': String(placement.prometheusPort),
    ...(placement.definitionsFile !== undefined ? { load_definitions: placement.definitionsFile } : {}),
  };
  const seen = new Set<string>();
  const lines = text.split('\n').map((line) => {
    const match = /^\s*([A-Za-z0-9_.$-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) return line;
    const key = match[1] ?? '';
    const value = match[2] ?? '';
    seen.add(key);
    if (key in set) return `${key} = ${set[key]}`;
    if ((AUTH_PATH_KEYS as readonly string[]).includes(key)) {
      const url = new URL(value);
      return `${key} = ${origin}${url.pathname}`;
    }
    return line;
  });
  for (const key of AUTH_PATH_KEYS) {
    if (!seen.has(key)) throw new Error(`the broker configuration has no ${key}`);
  }
  const added = Object.entries(set).filter(([key]) => !seen.has(key)).map(([key, value]) => `${key} = ${value}`);
  return [...lines, ...(added.length > 0 ? ['# placed by server/broker/broker-config.ts', ...added, ''] : [])].join('\n');
}

/** The plugin names of an `enabled_plugins` file (`[a,b,c].`). */
export function parseEnabledPlugins(text: string): string[] {
  const match = /^\s*\[([^\]]*)\]\s*\.\s*$/s.exec(text);
  if (!match) throw new Error('enabled_plugins is not of the form [name,...].');
  return (match[1] ?? '').split(',').map((name) => name.trim()).filter((name) => name.length > 0);
}

/** Keys of broker/rabbitmq.conf that name a port of one node: a loopback cluster gives each node its own (server/broker/rabbit-cluster.ts). */
const PER_NODE_KEYS = /^(listeners\.|management\.|prometheus\.)/;
/** Plugins that listen on a port of their own: left out of a loopback cluster's nodes. */
const PORT_PLUGINS = new Set(['rabbitmq_management', 'rabbitmq_prometheus']);

/**
 * The repository's broker configuration for every node of a loopback cluster (secure mode on a
 * cluster): the same keys as the single secure node (the authority's auth_http paths, timeouts,
 * definitions, limits), without the keys that name a port, which the cluster writes per node, and
 * the plugins without management and Prometheus (each would want the same port on every node).
 */
export function clusterNodeBrokerConfig(
  configText: string,
  pluginsText: string,
  placement: { authorityOrigin: string; definitionsFile: string },
): { extraConfig: string; plugins: string[] } {
  const rewritten = rewriteBrokerConfig(configText, { host: '127.0.0.1', amqpPort: 1, managementPort: 1, prometheusPort: 1, ...placement });
  const lines = rewritten.split('\n').filter((line) => {
    const key = /^\s*([A-Za-z0-9_.$-]+)\s*=/.exec(line)?.[1];
    return key !== undefined && !line.trimStart().startsWith('#') && !PER_NODE_KEYS.test(key);
  });
  return { extraConfig: lines.join('\n'), plugins: parseEnabledPlugins(pluginsText).filter((name) => !PORT_PLUGINS.has(name)) };
}
