import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { combineRounds, runPhase, type PhaseResult, type PhaseSpec } from './load.js';
import { benchNamespace } from './namespace.js';
import { brokerPidFor } from './proc.js';
import { summariseProfile, type ProfileSummary } from './profile-summary.js';
import type { MessagingResult } from './result.js';
import { ratio } from './stats.js';
import { startCeiling, startWarren, type MessagingSystem } from './systems.js';

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
  /** Run the coordinator under --cpu-prof, writing the profile here. */
  profileDir?: string;
  serverMain?: string;
}

/**
 * Ceiling and warren side by side: both are set up first, then each phase runs on one and then
 * the other (the order alternating from phase to phase), so that both see the same machine.
 */
export async function runMessaging(spec: MessagingSpec, progress: (line: string) => void): Promise<{ result: MessagingResult; profile: ProfileSummary | null }> {
  const base = { amqpUrl: spec.amqpUrl, participants: spec.participants, prefetch: spec.prefetch };
  if (spec.profileDir) mkdirSync(spec.profileDir, { recursive: true });
  const ceiling = await startCeiling({ ...base, namespace: benchNamespace('ceiling') });
  let warren;
  try {
    warren = await startWarren({
      ...base,
      namespace: benchNamespace('warren'),
      ...(spec.profileDir ? { profileDir: spec.profileDir } : {}),
      ...(spec.serverMain ? { serverMain: spec.serverMain } : {}),
    });
  } catch (err) {
    await ceiling.close();
    throw err;
  }
  const phases: MessagingResult['phases'] = [];
  try {
    const brokerPid = brokerPidFor(spec.amqpUrl);
    const warmup: PhaseSpec = { brokerPid, name: 'warm-up', messages: Math.min(spec.messages, 500), size: spec.size, rate: 500, window: spec.window };
    progress('warm-up');
    for (const system of [ceiling, warren]) await runPhase(system, warmup);

    const specs: PhaseSpec[] = [
      { brokerPid, name: 'throughput', messages: spec.messages, size: spec.size, window: spec.window },
      ...spec.rates.map((rate) => ({ brokerPid, name: `rate-${rate}`, messages: spec.messages, size: spec.size, rate, window: spec.window })),
    ];
    const runs = specs.map(() => ({ ceiling: [] as PhaseResult[], warren: [] as PhaseResult[] }));
    for (let round = 0; round < spec.rounds; round += 1) {
      for (const [i, phaseSpec] of specs.entries()) {
        const order: MessagingSystem[] = (i + round) % 2 === 0 ? [ceiling, warren] : [warren, ceiling];
        for (const system of order) {
          progress(`${phaseSpec.name}${spec.rounds > 1 ? ` (round ${round + 1} of ${spec.rounds})` : ''}: ${system.label}`);
          runs[i]?.[system.label].push(await runPhase(system, phaseSpec));
        }
      }
    }
    for (const [i, phaseSpec] of specs.entries()) {
      const c = combineRounds(runs[i]?.ceiling ?? []);
      const w = combineRounds(runs[i]?.warren ?? []);
      phases.push({
        name: phaseSpec.name,
        ceiling: c,
        warren: w,
        ratio: {
          acceptedPerSec: ratio(w.acceptedPerSec, c.acceptedPerSec),
          deliveriesPerSec: ratio(w.deliveriesPerSec, c.deliveriesPerSec),
          latencyP50: ratio(w.latencyMs.p50, c.latencyMs.p50),
          latencyP99: ratio(w.latencyMs.p99, c.latencyMs.p99),
          latencyMax: ratio(w.latencyMs.max, c.latencyMs.max),
          cpuMsPerMessage: ratio(w.server.cpuMsPerMessage, c.server.cpuMsPerMessage),
        },
        rounds: { ceiling: runs[i]?.ceiling ?? [], warren: runs[i]?.warren ?? [] },
      });
    }
  } finally {
    await ceiling.close();
    await warren.close();
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
      ceilingQueue: CEILING_QUEUE,
      coordinatorStartMs: Math.round(warren.coordinator.readyMs),
      phases,
    },
    profile,
  };
}
