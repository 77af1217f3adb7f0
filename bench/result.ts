import { z } from 'zod';

/**
 * The JSON a benchmark run writes. The schema is what the CI smoke test checks the output
 * against: every section present and of the right shape (never the figures themselves).
 */
const summary = z.object({ count: z.number().int().nonnegative(), p50: z.number(), p99: z.number(), max: z.number(), mean: z.number() });
const usage = z.object({ wallMs: z.number(), cpuMs: z.number(), cpuPercent: z.number(), rssMb: z.number(), peakRssMb: z.number() });

const systemLabel = z.enum(['ceiling', 'batched', 'warren']);

const phase = z.object({
  system: systemLabel,
  phase: z.string(),
  targetRate: z.number().nullable(),
  sent: z.number().int(),
  accepted: z.number().int(),
  delivered: z.number().int(),
  expectedDeliveries: z.number().int(),
  missing: z.number().int(),
  duplicates: z.number().int(),
  errors: z.number().int(),
  firstError: z.string().nullable(),
  durationMs: z.number(),
  sendRatePerSec: z.number(),
  acceptedPerSec: z.number(),
  deliveriesPerSec: z.number(),
  latencyMs: summary,
  /** Latency at percentiles 0…100 (added with the HTML report; absent from older results). */
  latencyCdfMs: z.array(z.number()).default([]),
  inboundMs: summary,
  outboundMs: summary,
  server: usage.extend({ cpuMsPerMessage: z.number() }),
  clientsCpuMsPerMessage: z.number(),
  brokerCpuMsPerMessage: z.number().nullable(),
});

const ratios = z.object({
  acceptedPerSec: z.number().nullable(),
  deliveriesPerSec: z.number().nullable(),
  latencyP50: z.number().nullable(),
  latencyP99: z.number().nullable(),
  latencyMax: z.number().nullable(),
  cpuMsPerMessage: z.number().nullable(),
});

export const messagingSchema = z.object({
  participants: z.number().int(),
  messages: z.number().int(),
  size: z.number().int(),
  window: z.number().int(),
  rounds: z.number().int(),
  /** TCP_NODELAY on every socket of every system. */
  noDelay: z.boolean(),
  ceilingQueue: z.string(),
  coordinatorStartMs: z.number(),
  /**
   * ceiling (the per-message relay), batched (the batched relay) and warren are the medians over
   * rounds; rounds holds each round. ratio: warren ÷ ceiling; ratioToBatched: warren ÷ batched.
   */
  phases: z
    .array(
      z.object({
        name: z.string(),
        ceiling: phase,
        batched: phase,
        warren: phase,
        ratio: ratios,
        ratioToBatched: ratios,
        rounds: z.object({ ceiling: z.array(phase), batched: z.array(phase), warren: z.array(phase) }),
      }),
    )
    .min(1),
});

/** One system in the big room: M members, messages sent one at a time, each timed until the last member has it. */
const bigRoomSystem = z.object({
  system: systemLabel,
  /** Members connected (and, for warren, logged in). */
  joined: z.number().int(),
  /** First connect to the last member ready. */
  joinMs: z.number(),
  /** Messages that reached every member. */
  reachedAll: z.number().int(),
  /** Member deliveries that never came (over every message). */
  missing: z.number().int(),
  /** Per message: send call to the last member's receipt. */
  lastMemberMs: summary,
  /** Per message: send call to the median member's receipt. */
  medianMemberMs: summary,
  /** The relay's or the coordinator's process over the measured messages. */
  server: usage.extend({ cpuMsPerMessage: z.number() }),
  /** The processes holding the M members (memberProcesses of them): CPU over the measured messages, and RSS (summed) with everyone connected. */
  memberProcesses: z.number().int(),
  membersCpuMs: z.number(),
  membersRssMb: z.number(),
  brokerCpuMs: z.number().nullable(),
  firstError: z.string().nullable(),
});

const roomRatios = z.object({ p50: z.number().nullable(), p99: z.number().nullable(), max: z.number().nullable() });

export const bigRoomSchema = z.object({
  members: z.number().int(),
  messages: z.number().int(),
  size: z.number().int(),
  noDelay: z.boolean(),
  joinConcurrency: z.number().int(),
  /** Child processes the members are spread over (bench/room-members.ts). */
  processes: z.number().int(),
  /** The private node: the open-file limit asked for and the one its process got (null: could not be read). */
  node: z.object({ name: z.string(), openFilesRequested: z.number().int(), openFiles: z.number().int().nullable(), startMs: z.number() }),
  systems: z.array(bigRoomSystem),
  /** warren's last-member times ÷ the per-message relay's, and ÷ the batched relay's. */
  ratio: roomRatios,
  ratioToBatched: roomRatios,
});

export const scaleSchema = z.object({
  requested: z.number().int(),
  joined: z.number().int(),
  failed: z.number().int(),
  stalled: z.boolean(),
  releasedAfterStall: z.number().int(),
  firstError: z.string().nullable(),
  joinConcurrency: z.number().int(),
  /** Child processes the clients lived in (absent from older results: the benchmark's own). */
  clientProcesses: z.number().int().default(1),
  /** The private node it ran on; null: the broker at AMQP_URL (older results: always). */
  node: z.object({ name: z.string(), openFilesRequested: z.number().int(), openFiles: z.number().int().nullable(), startMs: z.number() }).nullable().default(null),
  allJoinedMs: z.number(),
  joinMs: summary,
  connectMs: summary,
  loginMs: summary,
  joinCpuMs: z.object({ clients: z.number(), broker: z.number().nullable() }),
  coordinator: z.object({
    startMs: z.number(),
    rssBeforeMb: z.number(),
    rssAfterJoinMb: z.number(),
    highestRssMb: z.number(),
    joinCpu: usage,
    idleCpu: usage,
  }),
  broker: z
    .object({ rssBeforeMb: z.number().nullable(), rssAfterJoinMb: z.number().nullable(), rssEndMb: z.number().nullable(), idleCpuPercent: z.number().nullable().default(null) })
    .default({ rssBeforeMb: null, rssAfterJoinMb: null, rssEndMb: null, idleCpuPercent: null }),
  /** Memory when the joined count first reached 100, 250, 500, 1000, 2500, 5000, 10000 (those up to C) and C. */
  milestones: z
    .array(z.object({ joined: z.number().int(), s: z.number(), coordinatorRssMb: z.number(), brokerRssMb: z.number().nullable(), clientsRssMb: z.number() }))
    .default([]),
  broadcast: z.object({ expected: z.number().int(), reached: z.number().int(), allReachedMs: z.number(), reachMs: summary }),
  users: z.object({ listed: z.number().int(), samplesMs: z.array(z.number()), medianMs: z.number(), maxMs: z.number() }),
  sessionsLost: z.number().int(),
  benchRssMb: z.number(),
  /** Sampled every 250 ms from the first connect to the end of the phase (absent from older results). */
  timeline: z.array(z.object({ s: z.number(), joined: z.number().int(), rssMb: z.number(), cpuPercent: z.number() })).default([]),
});

export const startupSchema = z.object({
  runs: z.number().int(),
  nodeBareMs: summary,
  coordinatorReadyMs: summary,
  clientProgramMs: summary.nullable(),
  clientProgramNote: z.string(),
  clientPromptMs: summary.nullable(),
  clientPromptNote: z.string(),
  libraryConnectLoginMs: summary,
});

export const webSchema = z.object({
  runs: z.number().int(),
  messages: z.number().int(),
  openToFirstMessageMs: summary,
  terminalToBrowserMs: summary,
  note: z.string(),
});

export const profileSchema = z.object({
  file: z.string(),
  totalMs: z.number(),
  busyMs: z.number(),
  byComponent: z.array(z.object({ component: z.string(), selfMs: z.number(), percentOfBusy: z.number() })),
  topFunctions: z.array(z.object({ fn: z.string(), component: z.string(), selfMs: z.number(), percentOfBusy: z.number() })),
  warrenInclusive: z.array(z.object({ fn: z.string(), totalMs: z.number(), percentOfBusy: z.number() })),
});

export const targetSchema = z.object({
  id: z.string(),
  description: z.string(),
  target: z.string(),
  value: z.string(),
  /** null: not measured in this run. */
  met: z.boolean().nullable(),
});

export const benchResultSchema = z.object({
  schema: z.literal('warren-bench/1'),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationS: z.number(),
  command: z.string(),
  machine: z.object({
    nproc: z.number().int(),
    cpuModel: z.string(),
    memTotalMb: z.number(),
    loadAverageStart: z.array(z.number()),
    loadAverageEnd: z.array(z.number()),
    node: z.string(),
    platform: z.string(),
    broker: z.string(),
  }),
  options: z.record(z.string(), z.unknown()),
  messaging: messagingSchema.nullable(),
  /** The big room on a private node (null: not run). */
  bigRoom: bigRoomSchema.nullable().default(null),
  scale: scaleSchema.nullable(),
  startup: startupSchema.nullable(),
  /** `--secure`: the same start-up in secure mode (null without the flag). */
  secureStartup: startupSchema.nullable().default(null),
  /** The web page (needs Chromium): null when the section did not run. */
  web: webSchema.nullable().default(null),
  targets: z.array(targetSchema),
  profile: profileSchema.nullable(),
  /** Sections that failed, with why. */
  errors: z.array(z.object({ section: z.string(), message: z.string() })),
});

export type BenchResult = z.infer<typeof benchResultSchema>;
export type MessagingResult = z.infer<typeof messagingSchema>;
export type PhaseRatios = z.infer<typeof ratios>;
export type BigRoomResult = z.infer<typeof bigRoomSchema>;
export type BigRoomSystemResult = z.infer<typeof bigRoomSystem>;
export type Target = z.infer<typeof targetSchema>;
