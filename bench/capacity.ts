import type { UnitValues } from './capacity-units.js';

/**
 * The arithmetic of the capacity model: a workload becomes rates (messages, heartbeats,
 * deliveries, commits), rates become resources (broker CPU and memory, coordinator CPU, the
 * store's one writer), and resources against a deployment become utilisations and the number of
 * nodes and coordinators needed. Pure functions; the units and the printing are elsewhere.
 */
export interface RoomShare {
  /** Share of all messages sent in rooms of this size (the shares add up to 1). */
  share: number;
  /** Members online in such a room: each message is this many deliveries. */
  members: number;
}

export interface Workload {
  online: number;
  /** Share of the online people who are typing. */
  activeShare: number;
  messagesPerActivePerMinute: number;
  rooms: RoomShare[];
}

export interface Deployment {
  brokerNodes: number;
  coordinators: number;
  store: 'sqlite' | 'postgres';
  /** CPU cores of one broker node. */
  nodeCores: number;
  /** Memory a broker node may use (RabbitMQ's high watermark, 0.4 of RAM by default). */
  nodeMemoryMb: number;
  nodeOpenFiles: number;
  /** Utilisation planned for (headroom for bursts and recovery). */
  targetUtilisation: number;
}

export interface Load {
  messagesPerSecond: number;
  heartbeatsPerSecond: number;
  inputsPerSecond: number;
  meanFanout: number;
  deliveriesPerSecond: number;
  brokerCpuCores: number;
  brokerMemoryMb: number;
  coordinatorCpuCores: number;
  coordinatorMemoryMb: number;
  storeCommitsPerSecond: number;
}

export function meanFanout(rooms: RoomShare[]): number {
  return rooms.reduce((sum, room) => sum + room.share * room.members, 0);
}

export function loadOf(workload: Workload, units: UnitValues): Load {
  const messagesPerSecond = (workload.online * workload.activeShare * workload.messagesPerActivePerMinute) / 60;
  const heartbeatsPerSecond = workload.online / units.heartbeatIntervalS;
  const fanout = meanFanout(workload.rooms);
  // Each heartbeat is one input and one reply (a delivery); each message reaches every member.
  const deliveriesPerSecond = messagesPerSecond * fanout + heartbeatsPerSecond;
  const inputsPerSecond = messagesPerSecond + heartbeatsPerSecond;
  return {
    messagesPerSecond,
    heartbeatsPerSecond,
    inputsPerSecond,
    meanFanout: fanout,
    deliveriesPerSecond,
    brokerCpuCores: (inputsPerSecond * units.brokerCpuMsPerInput + deliveriesPerSecond * units.brokerCpuMsPerDelivery + workload.online * units.brokerCpuMsPerClientSecond) / 1000,
    brokerMemoryMb: units.brokerBaseMb + workload.online * units.brokerMbPerClient,
    coordinatorCpuCores: (messagesPerSecond * units.coordinatorCpuMsPerMessage + heartbeatsPerSecond * units.coordinatorCpuMsPerHeartbeat) / 1000,
    coordinatorMemoryMb: units.coordinatorBaseMb + workload.online * units.coordinatorMbPerClient,
    // At human rates a turn holds about one message: one commit per message is the bound.
    storeCommitsPerSecond: messagesPerSecond,
  };
}

/** What one broker node gives with more nodes in a cluster: the first in full, each next one `clusterEfficiency` of it. */
export function clusterFactor(nodes: number, units: UnitValues): number {
  return nodes <= 1 ? nodes : 1 + (nodes - 1) * units.clusterEfficiency;
}

export const RESOURCES = ['broker CPU', 'broker memory', 'broker sockets', 'input queue', 'coordinator CPU', 'coordinator msg/s', 'store commits'] as const;
export type Resource = (typeof RESOURCES)[number];

/** Used ÷ available for each resource of a deployment; 1 is the wall (before the target utilisation). */
export function utilisationOf(load: Load, workload: Workload, deployment: Deployment, units: UnitValues): Record<Resource, number> {
  const nodes = clusterFactor(deployment.brokerNodes, units);
  const coordinators = deployment.coordinators;
  const storeCapacity =
    deployment.store === 'sqlite'
      ? units.sqliteCommitsPerSecond // one file, one writer: more coordinators do not add commits
      : Math.min(coordinators * units.postgresCommitsPerSecond, units.postgresClusterCommitsPerSecond);
  return {
    'broker CPU': load.brokerCpuCores / (nodes * deployment.nodeCores),
    'broker memory': load.brokerMemoryMb / (nodes * deployment.nodeMemoryMb),
    'broker sockets': workload.online / (deployment.brokerNodes * deployment.nodeOpenFiles),
    // One quorum queue per input partition; a coordinator consumes its share of the partitions.
    'input queue': load.inputsPerSecond / (coordinators * units.inputQueueMaxPerSecond),
    'coordinator CPU': load.coordinatorCpuCores / coordinators,
    'coordinator msg/s': load.messagesPerSecond / (coordinators * units.coordinatorMaxMessagesPerSecond),
    'store commits': load.storeCommitsPerSecond / storeCapacity,
  };
}

/** The resource closest to its wall, and how close. */
export function limitingResource(utilisation: Record<Resource, number>): { resource: Resource; utilisation: number } {
  let worst: Resource = RESOURCES[0];
  for (const resource of RESOURCES) if (utilisation[resource] > utilisation[worst]) worst = resource;
  return { resource: worst, utilisation: utilisation[worst] };
}

/** Smallest broker node count and coordinator count that keep every resource under the target utilisation, or null if none up to `max`. */
export function sizeFor(workload: Workload, deployment: Deployment, units: UnitValues, max = 64): { brokerNodes: number; coordinators: number } | null {
  const load = loadOf(workload, units);
  const under = (d: Deployment, resources: Resource[]): boolean => {
    const u = utilisationOf(load, workload, d, units);
    return resources.every((r) => u[r] <= d.targetUtilisation);
  };
  let brokerNodes = 1;
  while (brokerNodes <= max && !under({ ...deployment, brokerNodes }, ['broker CPU', 'broker memory', 'broker sockets'])) brokerNodes += 1;
  let coordinators = 1;
  while (coordinators <= max && !under({ ...deployment, brokerNodes, coordinators }, ['input queue', 'coordinator CPU', 'coordinator msg/s', 'store commits'])) coordinators += 1;
  return brokerNodes > max || coordinators > max ? null : { brokerNodes, coordinators };
}

/** The online count at which a resource first reaches 1 on this deployment (binary search; Infinity if it never does by `ceiling`). */
export function wallFor(resource: Resource, workload: Workload, deployment: Deployment, units: UnitValues, ceiling = 1e8): number {
  const at = (online: number): number => utilisationOf(loadOf({ ...workload, online }, units), { ...workload, online }, deployment, units)[resource];
  if (at(ceiling) < 1) return Infinity;
  let low = 0;
  let high = ceiling;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (at(mid) >= 1) high = mid;
    else low = mid;
  }
  return high;
}

/** Messages per second one room of `members` can take before its deliveries fill the broker's CPU (queues) or a stream's readers do. */
export function roomMessageCeiling(members: number, deployment: Deployment, units: UnitValues): { queues: number; stream: number } {
  const cpuMs = clusterFactor(deployment.brokerNodes, units) * deployment.nodeCores * 1000;
  return { queues: cpuMs / (members * units.brokerCpuMsPerDelivery), stream: cpuMs / (members * units.streamCpuMsPerReaderDelivery) };
}
