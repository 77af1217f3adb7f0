import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { combineRounds, runPhase, type PhaseResult, type PhaseSpec } from './load.js';
import { benchNamespace } from './namespace.js';
import { brokerPidFor } from './proc.js';
import { summariseProfile, type ProfileSummary } from './profile-summary.js';
import type { MessagingResult, PhaseRatios } from './result.js';
import { ratio } from './stats.js';
import { SYSTEM_LABELS, startBatchedCeiling, startCeiling, startWarren, type MessagingSystem, type SystemLabel, type WarrenSystem } from './systems.js';

export const CEILING_QUEUE =
  "quorum queue declared exactly as warren's input queue (shared/declare.ts: durable, x-queue-type quorum, x-delivery-limit, dead-letter exchange); persistent publishes with confirms";

export interface MessagingSpec {
  amqpUrl: string;
  messages: number;
  participants: number;
  size: number;
  window: number;
  rates: number[];
  /** Each phase runs this many times on each system, interleaved; figures are medians over rounds. */
  rounds: number;
  prefetch: number;
  /** TCP_NODELAY on every socket of every system. */
  noDelay: boolean;
  /** Run the coordinator under --cpu-prof, writing the profile here. */
  profileDir?: string;
  serverMain?: string;
}

/** The systems in the order they run in round `round` of phase `phase`: rotated, so that none is always first. */
export function runOrder<T>(systems: readonly T[], phase: number, round: number): T[] {
  const shift = (phase + round) % systems.length;
  return [...systems.slice(shift), ...systems.slice(0, shift)];
}

/** warren's figures divided by another system's. */
export function ratiosOf(w: PhaseResult, other: PhaseResult): PhaseRatios {
  return {
    acceptedPerSec: ratio(w.acceptedPerSec, other.acceptedPerSec),
    deliveriesPerSec: ratio(w.deliveriesPerSec, other.deliveriesPerSec),
    latencyP50: ratio(w.latencyMs.p50, other.latencyMs.p50),
    latencyP99: ratio(w.latencyMs.p99, other.latencyMs.p99),
    latencyMax: ratio(w.latencyMs.max, other.latencyMs.max),
    cpuMsPerMessage: ratio(w.server.cpuMsPerMessage, other.server.cpuMsPerMessage),
  };
}

/**
 * The per-message relay (the ceiling), the batched relay and warren side by side: all three are
 * set up first, then each phase runs on one after the other (the order rotating from phase to
 * phase and round to round), so that all see the same machine.
 */
export async function runMessaging(spec: MessagingSpec, progress: (line: string) => void): Promise<{ result: MessagingResult; profile: ProfileSummary | null }> {
  const base = { amqpUrl: spec.amqpUrl, participants: spec.participants, prefetch: spec.prefetch, noDelay: spec.noDelay };
  if (spec.profileDir) mkdirSync(spec.profileDir, { recursive: true });
  const started: MessagingSystem[] = [];
  let warren: WarrenSystem;
  try {
    started.push(await startCeiling({ ...base, namespace: benchNamespace('ceiling') }));
    started.push(await startBatchedCeiling({ ...base, namespace: benchNamespace('batched') }));
    warren = await startWarren({
      ...base,
      namespace: benchNamespace('warren'),
      ...(spec.profileDir ? { profileDir: spec.profileDir } : {}),
      ...(spec.serverMain ? { serverMain: spec.serverMain } : {}),
    });
    started.push(warren);
  } catch (err) {
    for (const system of started) await system.close();
    throw err;
  }
  const systems = SYSTEM_LABELS.map((label) => started.find((system) => system.label === label) as MessagingSystem);
  const phases: MessagingResult['phases'] = [];
  try {
    const brokerPid = brokerPidFor(spec.amqpUrl);
    const warmup: PhaseSpec = { brokerPid, name: 'warm-up', messages: Math.min(spec.messages, 500), size: spec.size, rate: 500, window: spec.window };
    progress('warm-up');
    for (const system of systems) await runPhase(system, warmup);

    const specs: PhaseSpec[] = [
      { brokerPid, name: 'throughput', messages: spec.messages, size: spec.size, window: spec.window },
      ...spec.rates.map((rate) => ({ brokerPid, name: `rate-${rate}`, messages: spec.messages, size: spec.size, rate, window: spec.window })),
    ];
    const runs = specs.map((): Record<SystemLabel, PhaseResult[]> => ({ ceiling: [], batched: [], warren: [] }));
    for (let round = 0; round < spec.rounds; round += 1) {
      for (const [i, phaseSpec] of specs.entries()) {
        for (const system of runOrder(systems, i, round)) {
          progress(`${phaseSpec.name}${spec.rounds > 1 ? ` (round ${round + 1} of ${spec.rounds})` : ''}: ${system.label}`);
          runs[i]?.[system.label].push(await runPhase(system, phaseSpec));
        }
      }
    }
    for (const [i, phaseSpec] of specs.entries()) {
      const rounds = runs[i] ?? { ceiling: [], batched: [], warren: [] };
      const c = combineRounds(rounds.ceiling);
      const b = combineRounds(rounds.batched);
      const w = combineRounds(rounds.warren);
      phases.push({ name: phaseSpec.name, ceiling: c, batched: b, warren: w, ratio: ratiosOf(w, c), ratioToBatched: ratiosOf(w, b), rounds });
    }
  } finally {
    for (const system of systems) await system.close();
  }
  let profile: ProfileSummary | null = null;
  if (spec.profileDir) {
    const file = readdirSync(spec.profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (file) profile = summariseProfile(join(spec.profileDir, file));
  }
  return {
    result: {
      participants: spec.participants,
      messages: spec.messages,
      size: spec.size,
      window: spec.window,
      rounds: spec.rounds,
      noDelay: spec.noDelay,
      ceilingQueue: CEILING_QUEUE,
      coordinatorStartMs: Math.round(warren.coordinator.readyMs),
      phases,
    },
    profile,
  };
}
