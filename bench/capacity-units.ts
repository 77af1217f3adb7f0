/**
 * The unit costs of the capacity model (bench/capacity-model.ts, docs/SCALING.md), each with where
 * it was measured. "Measured" ones come from this machine (2 vCPU AMD EPYC, 24 GB, RabbitMQ 3.10.8,
 * Node 20, shared with other engineers' test runs, so CPU figures lean high); the ones marked
 * `toBeMeasured` are assumptions the integrator replaces once the branch that makes them exists
 * (several coordinators, PostgreSQL, a three-node cluster, streams) is measured.
 */
export interface Unit {
  value: number;
  unit: string;
  source: string;
  /** An assumption, not a measurement yet. */
  toBeMeasured?: true;
}

export const UNITS = {
  // --- coordinator (one Node.js thread each) ---
  coordinatorCpuMsPerMessage: {
    value: 0.36,
    unit: 'ms CPU per chat message',
    source: 'PERFORMANCE.md "Messaging after issue 14", rate 1000 phase (a turn holds ~1 message, each pays its own commit)',
  },
  coordinatorMaxMessagesPerSecond: {
    value: 2937,
    unit: 'accepted msg/s',
    source: 'PERFORMANCE.md "Messaging after issue 14", throughput phase (0.13 ms CPU/msg, batches form; broker and clients on the same 2 cores)',
  },
  coordinatorCpuMsPerHeartbeat: {
    value: 0.3,
    unit: 'ms CPU per heartbeat input and its reply',
    source: 'PERFORMANCE.md scale phase of 2026-11-23 14:08: 4.7% of a core idle with 778 clients ÷ 155.6 heartbeats/s (0.37 in the 5,000 run of 2026-12-02, under saturation)',
  },
  heartbeatIntervalS: { value: 5, unit: 's between heartbeats', source: 'server/coordinator.ts: session timeout 15 s ÷ 3' },
  coordinatorBaseMb: { value: 84, unit: 'MB RSS, no clients', source: 'PERFORMANCE.md "Scale: 5,000 clients", RSS before joining' },
  coordinatorMbPerClient: {
    value: 0.04,
    unit: 'MB RSS per online client',
    source: 'PERFORMANCE.md "Scale: 5,000 clients": (123 MB at 1,000 joined − 84 MB before) ÷ 1,000 (0.029 at 2,064)',
  },
  // --- store ---
  sqliteCommitsPerSecond: {
    value: 6836,
    unit: 'commits/s, one message each (the one writer)',
    source: 'bench/unit-costs.ts on the real SqliteStore (WAL, synchronous=NORMAL), 2026-12-02 09:53 UTC, load 4.4',
  },
  sqliteMessagesPerSecondBatched: {
    value: 35510,
    unit: 'messages/s in commits of 50',
    source: 'bench/unit-costs.ts, same run (0.024 ms CPU per message)',
  },
  postgresCommitsPerSecond: {
    value: 400,
    unit: 'commits/s per coordinator, one message each',
    source:
      'bench/coordinators.ts, 2026-12-02 10:34 UTC (load 6-12): one coordinator on PostgreSQL spent 284 ms per group commit of 119 messages (median of 3 rounds, 304 msg/s accepted), ~2.4 ms of store time per message, so at most ~420 one-message commits/s (a commit of one pays BEGIN/COMMIT too; store-engines.ts measured 550/s on a quieter machine, docs/STORE.md)',
  },
  postgresClusterCommitsPerSecond: {
    value: 20000,
    unit: 'commits/s for the whole PostgreSQL server (group commit across coordinators)',
    source: 'assumed; the PostgreSQL branch measures it',
    toBeMeasured: true,
  },
  // --- broker node ---
  brokerCpuMsPerDelivery: {
    value: 0.058,
    unit: 'ms broker CPU per delivery (one message to one queue and its consumer)',
    source: 'bench/unit-costs.ts: 200 messages × 2,000 bound queues = 400,000 deliveries, private node, 2026-12-02 09:53 UTC',
  },
  brokerCpuMsPerInput: {
    value: 0.24,
    unit: 'ms broker CPU per input (quorum queue in, confirm, out to the coordinator, ack)',
    source: 'PERFORMANCE.md "Messaging after issue 14", rate 1000: broker 0.82 ms/msg − 10 deliveries × 0.058',
  },
  brokerCpuMsPerClientSecond: {
    value: 0.21,
    unit: 'ms broker CPU per second per connected client, heartbeats aside (its connection, channel and queue processes, their statistics, AMQP heartbeats)',
    source:
      'PERFORMANCE.md "Scale: 5,000 clients", "What an idle client costs the broker": 600 idle clients with 20 s heartbeats and no binding check, 17.5% of a core less 30 heartbeats/s; the 5,000-client run gives 0.22 with its heartbeats in',
  },
  inputQueueMaxPerSecond: {
    value: 5381,
    unit: 'msg/s through one quorum input queue',
    source: 'PERFORMANCE.md, batched relay throughput phase (a lower bound: the relay, not the queue, may have been the limit)',
  },
  brokerBaseMb: { value: 142, unit: 'MB RSS of an idle node', source: 'bench/unit-costs.ts, private node before any connection' },
  brokerMbPerClient: {
    value: 0.29,
    unit: 'MB broker RSS per WarrenClient (connection, channel, exclusive queue, bindings, consumer)',
    source: 'PERFORMANCE.md "Scale: 5,000 clients": (428 MB at 1,000 joined − 136 MB before) ÷ 1,000 (0.41 at 2,064, with a heartbeat backlog; bare parts in bench/unit-costs.ts: 89 KB a connection, 15 KB a queue)',
  },
  brokerCpuMsPerJoin: {
    value: 12,
    unit: 'ms broker CPU per client joining (connection, queue, topology, login)',
    source: 'PERFORMANCE.md "Scale: 5,000 clients": 8.4 s of broker CPU for 700 clients joining on a private node (70 ms each in the 5,000 run, saturated)',
  },
  // --- designs past one node, not built here ---
  clusterEfficiency: {
    value: 0.8,
    unit: 'share of a node’s capacity each extra cluster node adds (inter-node copies, quorum replication)',
    source: 'assumed; the three-node cluster branch measures it',
    toBeMeasured: true,
  },
  streamCpuMsPerReaderDelivery: {
    value: 0.01,
    unit: 'ms broker CPU per message per stream reader',
    source: 'assumed (a stream is written once and read by offset in chunks); to be measured with a stream per room',
    toBeMeasured: true,
  },
} satisfies Record<string, Unit>;

export type UnitName = keyof typeof UNITS;
export type UnitValues = Record<UnitName, number>;

export function unitValues(): UnitValues {
  return Object.fromEntries(Object.entries(UNITS).map(([name, unit]) => [name, unit.value])) as UnitValues;
}
