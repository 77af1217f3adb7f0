import { checkRoomName } from '../../shared/rooms.js';
import { PRESENCE_ROUTING_KEY } from '../../shared/topology.js';
import { LEGACY } from '../legacy/protocol.js';

/**
 * Which names each kind of broker user may touch (docs/SECURITY.md, "Resource rules"). Pure
 * functions of the request and the deployment's namespace; everything not listed is denied.
 */

export type ResourceKind = 'queue' | 'exchange' | 'topic';
export type Permission = 'configure' | 'write' | 'read';

export interface ResourceAsk {
  readonly resource: ResourceKind;
  readonly name: string;
  readonly permission: Permission;
}

export interface TopicAsk extends ResourceAsk {
  readonly routingKey: string;
}

/**
 * A client owns exactly one queue, `<ns>.client.<id>`. No client needs a second, and every queue
 * bound to a public room is one more copy of each line (fan-out amplification), so none is allowed.
 */
export function isOwnClientQueue(namespace: string, clientId: string, queue: string): boolean {
  return queue === `${namespace}.client.${clientId}`;
}

/**
 * A client: its own queue (all rights), write on `<ns>.input`, and, once its id is bound to a
 * logged-in name, read on `<ns>.events` (to bind). No `amq.default`: publishing through it would
 * reach any queue by name.
 */
export function clientResource(namespace: string, clientId: string, bound: boolean, ask: ResourceAsk): boolean {
  if (ask.resource === 'queue') return isOwnClientQueue(namespace, clientId, ask.name);
  if (ask.resource !== 'exchange') return false;
  if (ask.name === `${namespace}.input`) return ask.permission === 'write';
  if (ask.name === `${namespace}.events`) return ask.permission === 'read' && bound;
  return false;
}

/** The one topic rule for clients: bind to presence or to one public room, never a wildcard. */
export function clientTopic(namespace: string, bound: boolean, ask: TopicAsk): boolean {
  if (!bound || ask.permission !== 'read' || ask.name !== `${namespace}.events`) return false;
  return isClientRoutingKey(ask.routingKey);
}

export function isClientRoutingKey(routingKey: string): boolean {
  if (routingKey === PRESENCE_ROUTING_KEY) return true;
  if (!routingKey.startsWith('room.')) return false;
  const room = routingKey.slice('room.'.length);
  const check = checkRoomName(room);
  // checkRoomName lowercases and strips a leading `#`; only the exact canonical form is a key.
  return check.ok && check.room === room;
}

/**
 * The coordinator: everything under its namespace, write on `amq.default` (replies to a legacy
 * client's queue, and its own publishes by queue name), read on `amq.rabbitmq.event` (the
 * authority's connection counts and the coordinator's watch of its names), the legacy names when
 * legacy mode is on.
 */
export function coordinatorResource(namespace: string, legacy: boolean, ask: ResourceAsk): boolean {
  if (ask.name.startsWith(`${namespace}.`)) return true;
  if (ask.resource === 'exchange' && ask.name === 'amq.default') return ask.permission === 'write';
  if (ask.resource === 'exchange' && ask.name === 'amq.rabbitmq.event') return ask.permission === 'read';
  if (legacy && isLegacyName(ask)) return true;
  return false;
}

export function coordinatorTopic(namespace: string, ask: TopicAsk): boolean {
  if (ask.name.startsWith(`${namespace}.`)) return true;
  return ask.name === 'amq.rabbitmq.event' && ask.permission === 'read';
}

function isLegacyName(ask: ResourceAsk): boolean {
  if (ask.resource === 'queue') return ask.name === LEGACY.requestQueue;
  return ask.resource === 'exchange' && (ask.name === LEGACY.replyExchange || ask.name === LEGACY.chatExchange);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A queue the broker names itself (`queue_declare(exclusive=True)` with no name). */
const SERVER_NAMED = /^amq\.gen-[A-Za-z0-9_-]{1,64}$/;

/**
 * `guest` in legacy mode: exactly what the unmodified Actividad 2 clients do (docs/LEGACY.md).
 * Their own queue named after their uuid and a server-named one for `broadcast`; declare and bind
 * `broadcast`; bind to `user_channel`; publish requests through the default exchange.
 * Write on `amq.default` reaches any queue by name, warren's included: warren's receivers refuse
 * what does not carry the right `userId` (docs/SECURITY.md, "What is not defended").
 */
export function legacyGuestResource(ask: ResourceAsk): boolean {
  if (ask.resource === 'queue') return UUID.test(ask.name) || SERVER_NAMED.test(ask.name);
  if (ask.resource !== 'exchange') return false;
  if (ask.name === 'amq.default') return ask.permission === 'write';
  if (ask.name === LEGACY.chatExchange) return ask.permission === 'configure' || ask.permission === 'read';
  if (ask.name === LEGACY.replyExchange) return ask.permission === 'read';
  return false;
}
