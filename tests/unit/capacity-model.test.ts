import { clusterFactor, loadOf, roomMessageCeiling, sizeFor, utilisationOf, wallFor, type Deployment, type Workload } from '../../bench/capacity.js';
import { parseCapacityOptions, renderCapacity } from '../../bench/capacity-model.js';
import { unitValues, type UnitValues } from '../../bench/capacity-units.js';
import { configError } from '../support/config-error.js';

/** Round unit costs, so that every figure below can be worked out by hand. */
const UNITS: UnitValues = {
  ...unitValues(),
  heartbeatIntervalS: 5,
  coordinatorCpuMsPerMessage: 0.36,
  coordinatorCpuMsPerHeartbeat: 0.2,
  coordinatorMaxMessagesPerSecond: 3000,
  brokerCpuMsPerInput: 0.24,
  brokerCpuMsPerDelivery: 0.058,
  brokerCpuMsPerClientSecond: 0.2,
  brokerBaseMb: 142,
  brokerMbPerClient: 0.23,
  coordinatorBaseMb: 80,
  coordinatorMbPerClient: 0.05,
  inputQueueMaxPerSecond: 5381,
  sqliteCommitsPerSecond: 6000,
  clusterEfficiency: 0.8,
  streamCpuMsPerReaderDelivery: 0.01,
};
const ONE_NODE: Deployment = { brokerNodes: 1, coordinators: 1, store: 'sqlite', nodeCores: 2, nodeMemoryMb: 9642, nodeOpenFiles: 20_000, targetUtilisation: 1 };
const rooms = [
  { share: 0.5, members: 10 },
  { share: 0.5, members: 30 },
];

describe('capacity model flags', () => {
  it.each([
    [['--rooms', '0.5:2'], /--rooms: the shares must add up to 1/],
    [['--rooms', 'twenty'], /--rooms: "twenty" is not share:members/],
    [['--rooms', '1:0'], /--rooms: at least one room, each with at least 1 member/],
    [['--unit', 'nosuch=1'], /--unit: unknown unit "nosuch"/],
    [['--unit', 'brokerMbPerClient=-1'], /--unit: brokerMbPerClient: "-1" is not a number/],
    [['--unit', 'brokerMbPerClient='], /--unit: brokerMbPerClient: "" is not a number/],
    [['--active-share', '1.5'], /--active-share/],
    [['--online', '0'], /--online/],
    [['--store', 'mysql'], /--store/],
    [['--target', '0'], /--target/],
  ])('%j is refused with CONFIG_INVALID naming the flag', (argv, message) => {
    const err = configError(() => parseCapacityOptions(argv));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(message);
  });

  it('takes the room sizes and unit overrides it is given', () => {
    const options = parseCapacityOptions(['--online', '1000', '--rooms', '0.5:10,0.5:30', '--unit', 'brokerMbPerClient=0.5,clusterEfficiency=1']);
    expect(options.rooms).toEqual(rooms);
    expect(options.units).toEqual({ brokerMbPerClient: 0.5, clusterEfficiency: 1 });
    expect(renderCapacity(options)).toMatch(/mean fan-out 20\.0\)/);
  });
});

describe('capacity model arithmetic, a case worked by hand', () => {
  // 1000 online, 10% typing 6 msg/min: 1000 × 0.1 × 6 / 60 = 10 msg/s; heartbeats 1000 / 5 = 200/s.
  const workload: Workload = { online: 1000, activeShare: 0.1, messagesPerActivePerMinute: 6, rooms };

  it('turns a workload into rates and resources', () => {
    const load = loadOf(workload, UNITS);
    expect(load.messagesPerSecond).toBeCloseTo(10);
    expect(load.heartbeatsPerSecond).toBeCloseTo(200);
    expect(load.meanFanout).toBeCloseTo(20); // 0.5 × 10 + 0.5 × 30
    expect(load.deliveriesPerSecond).toBeCloseTo(400); // 10 × 20 + 200 replies
    expect(load.inputsPerSecond).toBeCloseTo(210);
    expect(load.brokerCpuCores).toBeCloseTo(0.2736); // (210 × 0.24 + 400 × 0.058 + 1000 clients × 0.2) / 1000
    expect(load.coordinatorCpuCores).toBeCloseTo(0.0436); // (10 × 0.36 + 200 × 0.2) / 1000
    expect(load.brokerMemoryMb).toBeCloseTo(372); // 142 + 1000 × 0.23
    expect(load.coordinatorMemoryMb).toBeCloseTo(130); // 80 + 1000 × 0.05
    expect(load.storeCommitsPerSecond).toBeCloseTo(10);
  });

  it('divides by what a deployment has', () => {
    const u = utilisationOf(loadOf(workload, UNITS), workload, ONE_NODE, UNITS);
    expect(u['broker CPU']).toBeCloseTo(0.1368); // 0.2736 / 2 cores
    expect(u['broker sockets']).toBeCloseTo(0.05); // 1000 / 20000
    expect(u['input queue']).toBeCloseTo(210 / 5381);
    expect(u['store commits']).toBeCloseTo(10 / 6000);
    expect(clusterFactor(1, UNITS)).toBe(1);
    expect(clusterFactor(3, UNITS)).toBeCloseTo(2.6); // 1 + 2 × 0.8
    // SQLite has one writer: more coordinators add no commits; PostgreSQL's share grows with them.
    const three = { ...ONE_NODE, coordinators: 3 };
    expect(utilisationOf(loadOf(workload, UNITS), workload, three, UNITS)['store commits']).toBeCloseTo(10 / 6000);
    const pg = { ...UNITS, postgresCommitsPerSecond: 100, postgresClusterCommitsPerSecond: 250 };
    expect(utilisationOf(loadOf(workload, pg), workload, { ...three, store: 'postgres' }, pg)['store commits']).toBeCloseTo(10 / 250);
    expect(utilisationOf(loadOf(workload, pg), workload, { ...ONE_NODE, store: 'postgres' }, pg)['store commits']).toBeCloseTo(10 / 100);
  });

  it('sizes a deployment and finds the walls', () => {
    // 30000 online: 300 msg/s, 6000 heartbeats/s, 12000 deliveries/s, 6300 inputs/s.
    // Broker CPU (6300 × 0.24 + 12000 × 0.058 + 30000 × 0.2) / 1000 = 8.208 cores: each node after the
    // first adds 0.8 × 2 cores, so 2 + 1.6 × (N − 1) ≥ 8.208 needs N = 5 (7.6 cores with four).
    // Coordinator CPU (300 × 0.36 + 6000 × 0.2) / 1000 = 1.308: two coordinators.
    expect(sizeFor({ ...workload, online: 30_000 }, ONE_NODE, UNITS)).toEqual({ brokerNodes: 5, coordinators: 2 });
    // Broker CPU on one 2-core node: 0.2736 cores per 1000 online, full (≥ 1) from 2 / 0.0002736 = 7309.9, i.e. 7310 people.
    expect(wallFor('broker CPU', workload, ONE_NODE, UNITS)).toBe(7_310);
    expect(wallFor('broker sockets', workload, ONE_NODE, UNITS)).toBe(20_000);
    // Coordinator CPU reaches 1 core at online × (0.1 × 6 / 60 × 0.36 + 0.2 / 5) / 1000 = 1, i.e. 1 / 0.0000436 = 22936.
    expect(wallFor('coordinator CPU', workload, ONE_NODE, UNITS)).toBe(22_936);
    // A room of 1000 on one 2-core node: 2000 ms of CPU a second / (1000 × 0.058 ms) = 34.5 messages/s.
    expect(roomMessageCeiling(1000, ONE_NODE, UNITS).queues).toBeCloseTo(34.48, 1);
  });
});
