import { benchNamespace } from './namespace.js';
import { startPrivateNode, type PrivateNode } from './private-node.js';
import { sampleProcess, usageBetween } from './proc.js';
import { startCoordinator, startRelay } from './programs.js';
import { startRemoteMembers } from './remote-members.js';
import type { BigRoomResult, BigRoomSystemResult } from './result.js';
import { ratio, round, summarise } from './stats.js';
import { SYSTEM_LABELS, clock, composeSystem, type MessagingSystem, type SystemLabel, type SystemSettings } from './systems.js';

/**
 * The big room: one room of M members, each with its own connection and queue, on a RabbitMQ node
 * the benchmark starts with a higher open-file limit. For each system in turn (the per-message
 * relay, the batched relay, warren) the members join with bounded concurrency, then messages go
 * out one at a time from member 0, the next once the one before has reached every member; each is
 * timed from the send call to the LAST member's receipt. The members are spread over a few child
 * processes (bench/room-members.ts), each taking its receipts' times itself, so that no single
 * event loop hands out every receipt; what they cost is recorded beside the figures.
 */
export interface BigRoomSpec {
  members: number;
  messages: number;
  size: number;
  noDelay: boolean;
  joinConcurrency: number;
  /** Child processes holding the members. */
  processes: number;
  openFiles: number;
  prefetch: number;
  serverMain?: string;
  /** A message that has not reached everyone after this long is given up on (its missing receipts counted). */
  stallMs?: number;
  /** Quiet time after joining (warren's presence traffic of M logins settles). */
  settleMs?: number;
}

export async function runBigRoom(spec: BigRoomSpec, progress: (line: string) => void): Promise<BigRoomResult> {
  const node = await startPrivateNode({ prefix: 'warren-bench-room', openFiles: spec.openFiles });
  progress(`  private node ${node.name} up in ${node.startMs} ms, open files ${node.openFiles ?? 'unknown'} (asked ${spec.openFiles}), data in ${node.dir}`);
  const systems: BigRoomSystemResult[] = [];
  try {
    for (const label of SYSTEM_LABELS) systems.push(await measureSystem(label, spec, node, progress));
  } finally {
    await node.stop();
  }
  const of = (label: SystemLabel): BigRoomSystemResult | undefined => systems.find((system) => system.system === label);
  return {
    members: spec.members,
    messages: spec.messages,
    size: spec.size,
    noDelay: spec.noDelay,
    joinConcurrency: spec.joinConcurrency,
    processes: spec.processes,
    node: { name: node.name, openFilesRequested: spec.openFiles, openFiles: node.openFiles, startMs: node.startMs },
    systems,
    ratio: roomRatios(of('warren'), of('ceiling')),
    ratioToBatched: roomRatios(of('warren'), of('batched')),
  };
}

export function roomRatios(warren: BigRoomSystemResult | undefined, other: BigRoomSystemResult | undefined): BigRoomResult['ratio'] {
  if (!warren || !other) return { p50: null, p99: null, max: null };
  return {
    p50: ratio(warren.lastMemberMs.p50, other.lastMemberMs.p50),
    p99: ratio(warren.lastMemberMs.p99, other.lastMemberMs.p99),
    max: ratio(warren.lastMemberMs.max, other.lastMemberMs.max),
  };
}

async function measureSystem(label: SystemLabel, spec: BigRoomSpec, node: PrivateNode, progress: (line: string) => void): Promise<BigRoomSystemResult> {
  const settings: SystemSettings = {
    amqpUrl: node.url,
    namespace: benchNamespace(`room-${label}`),
    participants: spec.members,
    prefetch: spec.prefetch,
    noDelay: spec.noDelay,
    joinConcurrency: spec.joinConcurrency,
  };
  const server =
    label === 'warren'
      ? await startCoordinator({ ...settings, ...(spec.serverMain ? { serverMain: spec.serverMain } : {}) }).then((coordinator) => ({ pid: coordinator.pid, stop: () => coordinator.shutdown() }))
      : await startRelay({ ...settings, batched: label === 'batched' });
  const began = performance.now();
  try {
    const members = await startRemoteMembers(label, { amqpUrl: settings.amqpUrl, namespace: settings.namespace, noDelay: spec.noDelay, joinConcurrency: spec.joinConcurrency }, spec.members, spec.processes);
    const system = composeSystem(label, server, members, settings);
    const joinMs = Math.round(performance.now() - began);
    progress(`  ${label}: ${spec.members} members joined in ${joinMs} ms`);
    try {
      await sleep(spec.settleMs ?? (label === 'warren' ? 3000 : 500));
      const measured = await sendOneAtATime(system, { ...spec, memberPids: members.pids ?? [], ...(node.pid === undefined ? {} : { brokerPid: node.pid }) });
      return { ...measured, system: label, joined: spec.members, joinMs };
    } finally {
      await system.close();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** The measured part: messages one at a time, each until every member has it (or it stalls). */
export async function sendOneAtATime(
  system: MessagingSystem,
  spec: Pick<BigRoomSpec, 'messages' | 'size' | 'stallMs'> & { brokerPid?: number; memberPids?: number[] },
): Promise<Omit<BigRoomSystemResult, 'system' | 'joined' | 'joinMs'>> {
  const members = system.participants;
  const tag = `room${Date.now().toString(36)}`;
  const seen = new Uint8Array(members);
  const receipts = new Float64Array(members);
  let current = -1;
  let count = 0;
  let sentAt = 0;
  let onAll: () => void = () => undefined;
  system.setDeliveryHandler((to, delivery, at) => {
    const text = delivery.text;
    const first = text.indexOf(':');
    if (text.slice(0, first) !== tag) return;
    if (Number(text.slice(first + 1, text.indexOf(':', first + 1))) !== current || seen[to]) return;
    seen[to] = 1;
    receipts[count] = (at ?? clock()) - sentAt;
    count += 1;
    if (count === members) onAll();
  });
  const lastMember: number[] = [];
  const medianMember: number[] = [];
  let missing = 0;
  let firstError: string | null = null;
  const serverBefore = sampleProcess(system.serverPid);
  const brokerBefore = spec.brokerPid === undefined ? undefined : sampleProcess(spec.brokerPid);
  // The members' processes: these children, or this process when they live here.
  const memberPids = spec.memberPids ?? [];
  const membersCpu = (): number =>
    memberPids.length > 0 ? memberPids.reduce((total, pid) => total + (sampleProcess(pid)?.cpuMs ?? 0), 0) : (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  const membersRss = (): number =>
    memberPids.length > 0 ? memberPids.reduce((total, pid) => total + (sampleProcess(pid)?.rssMb ?? 0), 0) : process.memoryUsage().rss / 1024 / 1024;
  const membersCpuBefore = membersCpu();
  const rssWithEveryone = membersRss();
  for (let m = 0; m < spec.messages; m += 1) {
    seen.fill(0);
    count = 0;
    current = m;
    const everyone = new Promise<boolean>((resolve) => {
      onAll = () => resolve(true);
      setTimeout(() => resolve(false), spec.stallMs ?? 30_000).unref();
    });
    sentAt = clock();
    system.publish(0, `${tag}:${m}:`.padEnd(spec.size, 'x')).catch((err: unknown) => {
      firstError ??= err instanceof Error ? err.message : String(err);
    });
    const reached = await everyone;
    const times = summarise(receipts, count);
    if (reached) lastMember.push(times.max);
    else missing += members - count;
    if (count > 0) medianMember.push(times.p50);
  }
  system.setDeliveryHandler(() => undefined);
  const serverAfter = sampleProcess(system.serverPid);
  const brokerAfter = spec.brokerPid === undefined ? undefined : sampleProcess(spec.brokerPid);
  const membersCpuMs = membersCpu() - membersCpuBefore;
  const server = usageBetween(serverBefore, serverAfter);
  return {
    reachedAll: lastMember.length,
    missing,
    lastMemberMs: summarise(lastMember),
    medianMemberMs: summarise(medianMember),
    server: { ...server, cpuMsPerMessage: spec.messages > 0 ? round(server.cpuMs / spec.messages) : 0 },
    memberProcesses: Math.max(1, memberPids.length),
    membersCpuMs: Math.round(membersCpuMs),
    membersRssMb: Math.round(rssWithEveryone),
    brokerCpuMs: brokerBefore && brokerAfter ? Math.round(brokerAfter.cpuMs - brokerBefore.cpuMs) : null,
    firstError,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
