import type { BenchResult, MessagingResult, Target } from './result.js';
import { NAME_PROMPT_TARGET_MS } from './startup.js';

/** The issue's targets, judged on this run's figures. They are reported, never asserted. */
export function judgeTargets(result: Pick<BenchResult, 'messaging' | 'scale'> & { startup?: BenchResult['startup'] }): Target[] {
  const targets: Target[] = [];
  const messaging = result.messaging;
  const throughput = messaging?.phases.find((phase) => phase.name === 'throughput');
  const accepted = throughput?.ratio.acceptedPerSec ?? null;
  targets.push({
    id: 'throughput',
    description: 'warren accepted msg/s ÷ ceiling accepted msg/s (throughput phase, same N, K, size)',
    target: '≥ 0.8',
    value: accepted === null ? 'not measured' : accepted.toFixed(3),
    met: accepted === null ? null : accepted >= 0.8,
  });
  const rate1000 = messaging?.phases.find((phase) => phase.name === 'rate-1000');
  const p99 = rate1000?.ratio.latencyP99 ?? null;
  targets.push({
    id: 'p99-at-1000',
    description: `warren p99 ÷ ceiling p99 at 1000 msg/s with ${messaging?.participants ?? '?'} clients`,
    target: '≤ 2',
    value: p99 === null || !rate1000 ? 'not measured' : `${p99.toFixed(2)} (${rate1000.warren.latencyMs.p99} ms vs ${rate1000.ceiling.latencyMs.p99} ms)`,
    met: p99 === null ? null : p99 <= 2,
  });
  const scale = result.scale;
  const allJoined = scale !== null && scale.joined === scale.requested;
  targets.push({
    id: 'join',
    description: `${scale?.requested ?? '?'} clients joined`,
    target: '< 10 s (all of them)',
    value: scale === null ? 'not measured' : `${scale.joined}/${scale.requested} in ${(scale.allJoinedMs / 1000).toFixed(2)} s`,
    met: scale === null ? null : allJoined && scale.allJoinedMs < 10_000,
  });
  targets.push({
    id: 'rss',
    description: `coordinator RSS with ${scale?.joined ?? '?'} clients (highest sampled)`,
    target: '< 150 MB',
    value: scale === null ? 'not measured' : `${scale.coordinator.highestRssMb} MB`,
    met: scale === null ? null : scale.coordinator.highestRssMb < 150,
  });
  const prompt = result.startup?.clientPromptMs ?? null;
  targets.push({
    id: 'name-prompt',
    description: 'client in a terminal: spawn → name prompt (median)',
    target: `< ${NAME_PROMPT_TARGET_MS} ms`,
    value: prompt === null ? 'not measured' : `${prompt.p50} ms (max ${prompt.max})`,
    met: prompt === null ? null : prompt.p50 < NAME_PROMPT_TARGET_MS,
  });
  return targets;
}

/** The human summary printed at the end of a run. */
export function renderReport(result: BenchResult, file: string): string {
  const out: string[] = [];
  const m = result.machine;
  out.push('', `warren benchmark  ${result.startedAt}  (${result.durationS.toFixed(0)} s)`);
  out.push(`machine: ${m.nproc} cpu (${m.cpuModel}), ${Math.round(m.memTotalMb / 1024)} GB, node ${m.node}, ${m.broker}, load ${m.loadAverageStart.join(' ')} → ${m.loadAverageEnd.join(' ')}`);
  if (result.messaging) out.push(...messagingTable(result.messaging));
  const s = result.scale;
  if (s) {
    out.push('', `scale: ${s.joined}/${s.requested} clients (own connection and queue each, ${s.joinConcurrency} joining at once)`);
    out.push(
      table(
        ['figure', 'value'],
        [
          ['all joined', `${s.allJoinedMs} ms${s.failed ? ` (stopped: ${s.firstError ?? ''})` : ''}`],
          ['join, one client p50/p99/max', `${s.joinMs.p50} / ${s.joinMs.p99} / ${s.joinMs.max} ms`],
          ['  of which connect / login p50', `${s.connectMs.p50} / ${s.loginMs.p50} ms`],
          ['CPU while joining: clients / broker', `${s.joinCpuMs.clients} / ${s.joinCpuMs.broker ?? '-'} ms`],
          ['coordinator RSS before/after join/highest', `${s.coordinator.rssBeforeMb} / ${s.coordinator.rssAfterJoinMb} / ${s.coordinator.highestRssMb} MB`],
          ['coordinator CPU while joining', `${s.coordinator.joinCpu.cpuMs} ms (${s.coordinator.joinCpu.cpuPercent}% of a core)`],
          ['coordinator CPU idle (heartbeats)', `${s.coordinator.idleCpu.cpuPercent}% of a core`],
          ['one message to all', `${s.broadcast.reached}/${s.broadcast.expected} in ${s.broadcast.allReachedMs} ms (p50 ${s.broadcast.reachMs.p50} ms)`],
          ['/users reply (median/max)', `${s.users.medianMs} / ${s.users.maxMs} ms, ${s.users.listed} listed`],
          ['sessions lost', String(s.sessionsLost)],
        ],
      ),
    );
  }
  for (const [st, mode] of [
    [result.startup, 'open mode, plain broker'],
    [result.secureStartup, 'secure mode, HTTP authority'],
  ] as const) {
    if (!st) continue;
    const fmt = (x: { p50: number; max: number }): string => `${x.p50} ms (max ${x.max})`;
    out.push('', `start-up, ${mode} (median of ${st.runs})`);
    out.push(
      table(
        ['what', 'time'],
        [
          ['bare node', fmt(st.nodeBareMs)],
          ['coordinator: spawn → "coordinator ready"', fmt(st.coordinatorReadyMs)],
          ['client program: spawn → welcome', st.clientProgramMs ? fmt(st.clientProgramMs) : st.clientProgramNote],
          ['client in a terminal: spawn → name prompt', st.clientPromptMs ? fmt(st.clientPromptMs) : st.clientPromptNote],
          ['client library: connect + login', fmt(st.libraryConnectLoginMs)],
        ],
      ),
    );
  }
  if (result.web) {
    const w = result.web;
    const fmt = (x: { p50: number; p99: number; max: number }): string => `${x.p50} / ${x.p99} / ${x.max} ms`;
    out.push('', `web page (Chromium, through the gateway): p50 / p99 / max`);
    out.push(
      table(
        ['what', 'time'],
        [
          [`open the page → first message shown (${w.runs} run(s))`, fmt(w.openToFirstMessageMs)],
          [`one message, terminal user → browser (${w.messages})`, fmt(w.terminalToBrowserMs)],
        ],
      ),
    );
  }
  if (result.profile) {
    out.push('', `coordinator profile: ${result.profile.busyMs} ms busy; by component:`);
    out.push(table(['component', 'self ms', '% busy'], result.profile.byComponent.slice(0, 10).map((c) => [c.component, String(c.selfMs), String(c.percentOfBusy)])));
  }
  out.push('', 'targets');
  out.push(table(['target', 'wanted', 'this run', ''], result.targets.map((t) => [t.description, t.target, t.value, t.met === null ? '-' : t.met ? 'met' : 'MISSED'])));
  for (const error of result.errors) out.push(`section ${error.section} failed: ${error.message}`);
  out.push('', `JSON: ${file}`, '');
  return out.join('\n');
}

function messagingTable(messaging: MessagingResult): string[] {
  const rows: string[][] = [];
  for (const phase of messaging.phases) {
    for (const r of [phase.ceiling, phase.warren]) {
      rows.push([
        phase.name,
        r.system,
        `${r.accepted}/${r.sent}`,
        String(r.acceptedPerSec),
        String(r.deliveriesPerSec),
        `${r.latencyMs.p50} / ${r.latencyMs.p99} / ${r.latencyMs.max}`,
        `${r.inboundMs.p50} / ${r.outboundMs.p50}`,
        `${r.server.cpuMsPerMessage} (${r.server.cpuPercent}%) / ${r.clientsCpuMsPerMessage} / ${r.brokerCpuMsPerMessage ?? '-'}`,
        r.missing || r.errors ? `${r.missing} missing, ${r.errors} errors` : '',
      ]);
    }
    const x = phase.ratio;
    const f = (v: number | null): string => (v === null ? '-' : v.toFixed(2));
    rows.push([phase.name, 'warren/ceiling', '', f(x.acceptedPerSec), f(x.deliveriesPerSec), `${f(x.latencyP50)} / ${f(x.latencyP99)} / ${f(x.latencyMax)}`, '', f(x.cpuMsPerMessage), '']);
  }
  return [
    '',
    `messaging: N=${messaging.messages} messages, K=${messaging.participants} clients each sending and receiving, ${messaging.size} chars; ceiling input queue: quorum` +
      (messaging.rounds > 1 ? `; medians of ${messaging.rounds} interleaved rounds` : ''),
    table(['phase', 'system', 'accepted', 'accepted/s', 'deliveries/s', 'latency p50/p99/max ms', 'in/out p50 ms', 'cpu ms/msg: server (% core) / clients / broker', 'loss'], rows),
  ];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
