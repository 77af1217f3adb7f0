import { z } from 'zod';

/**
 * The JSON a benchmark run writes. The schema is what the CI smoke test checks the output
 * against: every section present and of the right shape (never the figures themselves).
 */
const summary = z.object({ count: z.number().int().nonnegative(), p50: z.number(), p99: z.number(), max: z.number(), mean: z.number() });
const usage = z.object({ wallMs: z.number(), cpuMs: z.number(), cpuPercent: z.number(), rssMb: z.number(), peakRssMb: z.number() });

const phase = z.object({
  system: z.enum(['ceiling', 'warren']),
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
  ceilingQueue: z.string(),
  coordinatorStartMs: z.number(),
  /** ceiling and warren are the medians over rounds; rounds holds each round. */
  phases: z.array(z.object({ name: z.string(), ceiling: phase, warren: phase, ratio: ratios, rounds: z.object({ ceiling: z.array(phase), warren: z.array(phase) }) })).min(1),
});

export const scaleSchema = z.object({
  requested: z.number().int(),
  joined: z.number().int(),
  failed: z.number().int(),
  stalled: z.boolean(),
  releasedAfterStall: z.number().int(),
  firstError: z.string().nullable(),
  joinConcurrency: z.number().int(),
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
  broadcast: z.object({ expected: z.number().int(), reached: z.number().int(), allReachedMs: z.number(), reachMs: summary }),
  users: z.object({ listed: z.number().int(), samplesMs: z.array(z.number()), medianMs: z.number(), maxMs: z.number() }),
  sessionsLost: z.number().int(),
  benchRssMb: z.number(),
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
export type Target = z.infer<typeof targetSchema>;
