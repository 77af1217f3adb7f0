/**
 * Every exchange, queue and routing key warren uses, derived from one namespace so that several
 * deployments (and parallel tests) can share a broker without touching each other.
 */
export interface Topology {
  readonly namespace: string;
  /** Topic exchange the coordinator fans events out through. */
  readonly eventsExchange: string;
  /** Durable queue of chat messages from clients. */
  readonly chatQueue: string;
  /** Durable queue of requests (login, /users, ...) from clients. */
  readonly commandQueue: string;
  /** Fanout exchange and durable queue holding every input the coordinator refused or gave up on. */
  readonly deadLetterExchange: string;
  readonly deadLetterQueue: string;
  /** Prefix of the per-client queues; a client queue is this prefix plus the client's id. */
  readonly clientQueuePrefix: string;
  clientQueue(clientId: string): string;
  roomRoutingKey(room: string): string;
}

export const PRESENCE_ROUTING_KEY = 'presence';

const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isValidNamespace(namespace: string): boolean {
  return NAMESPACE_PATTERN.test(namespace);
}

export function topologyFor(namespace: string): Topology {
  if (!isValidNamespace(namespace)) {
    throw new Error(`namespace must match ${NAMESPACE_PATTERN}, got ${JSON.stringify(namespace)}`);
  }
  const clientQueuePrefix = `${namespace}.client.`;
  return {
    namespace,
    eventsExchange: `${namespace}.events`,
    chatQueue: `${namespace}.chat`,
    commandQueue: `${namespace}.commands`,
    deadLetterExchange: `${namespace}.dead-letter`,
    deadLetterQueue: `${namespace}.dead-letter`,
    clientQueuePrefix,
    clientQueue: (clientId) => `${clientQueuePrefix}${clientId}`,
    roomRoutingKey: (room) => `room.${room}`,
  };
}
