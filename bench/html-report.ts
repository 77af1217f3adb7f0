import type { BenchResult, MessagingResult } from './result.js';
import { barChart, escapeXml, lineChart } from './svg-chart.js';

/**
 * The figures of one run as a self-contained HTML page (inline SVG and CSS; no script, no font or
 * file fetched): the latency distribution of warren and of the ceiling for each messaging phase,
 * side by side, the throughput of both, the scale phase over time, and the targets. `npm run bench`
 * writes it next to the JSON.
 */

/** `<dir>/<name>.json` → `<dir>/<name>.html` (any other name gets `.html` appended). */
export function htmlPathFor(jsonFile: string): string {
  return jsonFile.endsWith('.json') ? `${jsonFile.slice(0, -'.json'.length)}.html` : `${jsonFile}.html`;
}

export const COLORS = { ceiling: '#8c8c8c', batched: '#2e9e5b', warren: '#1f6fb5', rss: '#c0392b', cpu: '#e69f00' } as const;

export function renderHtmlReport(result: BenchResult): string {
  const sections: string[] = [header(result)];
  if (result.messaging) sections.push(messagingSection(result.messaging));
  if (result.scale) sections.push(scaleSection(result.scale));
  sections.push(startupSection(result));
  sections.push(targetsSection(result));
  if (result.errors.length > 0) {
    sections.push(`<section><h2>Sections that failed</h2><ul>${result.errors.map((e) => `<li><b>${escapeXml(e.section)}</b>: ${escapeXml(e.message)}</li>`).join('')}</ul></section>`);
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(`warren benchmark ${result.startedAt}`)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const STYLE = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1500px}',
  'h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}',
  '.meta{color:#555;font-size:13px;margin:2px 0}.charts{display:flex;flex-wrap:wrap;gap:12px}',
  '.charts figure{margin:0;border:1px solid #e3e3e3;border-radius:4px;padding:4px}',
  'figcaption{font-size:12px;color:#555;padding:2px 6px;max-width:460px}',
  'table{border-collapse:collapse;font-size:13px;margin-top:8px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}',
  'th:first-child,td:first-child{text-align:left}th{background:#f6f6f6}.met{color:#1a7f37}.missed{color:#c0392b;font-weight:600}',
  'code{font-size:12px}',
].join('\n');

function header(result: BenchResult): string {
  const m = result.machine;
  return [
    `<h1>warren benchmark, ${escapeXml(result.startedAt)}</h1>`,
    `<p class="meta">${escapeXml(`${result.durationS.toFixed(0)} s; ${m.nproc} cpu (${m.cpuModel}), ${Math.round(m.memTotalMb / 1024)} GB, node ${m.node}, ${m.broker}; load ${m.loadAverageStart.join(' ')} → ${m.loadAverageEnd.join(' ')}`)}</p>`,
    `<p class="meta"><code>${escapeXml(result.command)}</code></p>`,
  ].join('\n');
}

/** [latency ms, percentile] pairs of a distribution at percentiles 0…100. */
function cdfPoints(cdf: readonly number[]): [number, number][] {
  return cdf.map((ms, q) => [ms, q]);
}

function messagingSection(messaging: MessagingResult): string {
  const figures = messaging.phases.map((phase) => {
    const chart = lineChart({
      title: `latency distribution: ${phase.name}`,
      xLabel: 'latency, send to receipt (ms, log scale)',
      yLabel: 'percent of deliveries at or below',
      xLog: true,
      yMax: 100,
      series: [
        { name: `ceiling (p99 ${phase.ceiling.latencyMs.p99} ms)`, color: COLORS.ceiling, points: cdfPoints(phase.ceiling.latencyCdfMs), dashed: true },
        { name: `batched relay (p99 ${phase.batched.latencyMs.p99} ms)`, color: COLORS.batched, points: cdfPoints(phase.batched.latencyCdfMs), dashed: true },
        { name: `warren (p99 ${phase.warren.latencyMs.p99} ms)`, color: COLORS.warren, points: cdfPoints(phase.warren.latencyCdfMs) },
      ],
    });
    const rate = phase.warren.targetRate === null ? 'as fast as the window allows' : `paced at ${phase.warren.targetRate} msg/s`;
    return `<figure>${chart}<figcaption>${escapeXml(`${phase.name}: ${rate}; ${phase.warren.delivered} deliveries each`)}</figcaption></figure>`;
  });
  const names = messaging.phases.map((phase) => phase.name);
  // The three systems side by side, phase by phase, for one figure of their results.
  const systemBars = (title: string, yLabel: string, figure: 'acceptedPerSec' | 'deliveriesPerSec'): string =>
    barChart({
      title,
      yLabel,
      categories: names,
      series: [
        { name: 'ceiling', color: COLORS.ceiling, values: messaging.phases.map((p) => p.ceiling[figure]) },
        { name: 'batched relay', color: COLORS.batched, values: messaging.phases.map((p) => p.batched[figure]) },
        { name: 'warren', color: COLORS.warren, values: messaging.phases.map((p) => p.warren[figure]) },
      ],
    });
  const throughput = systemBars('accepted messages per second', 'msg/s', 'acceptedPerSec');
  const deliveries = systemBars('deliveries per second', 'deliveries/s', 'deliveriesPerSec');
  const rows = messaging.phases.flatMap((phase) =>
    [phase.ceiling, phase.batched, phase.warren].map((r) =>
      row([phase.name, r.system, `${r.accepted}/${r.sent}`, r.acceptedPerSec, r.deliveriesPerSec, r.latencyMs.p50, r.latencyMs.p99, r.latencyMs.max, r.server.cpuMsPerMessage, r.missing]),
    ),
  );
  return [
    '<section>',
    '<h2>Messaging: warren beside the ceiling (a raw amqplib relay on the same broker)</h2>',
    `<p class="meta">${escapeXml(`N=${messaging.messages} messages per phase, K=${messaging.participants} clients each sending and receiving, ${messaging.size} characters${messaging.rounds > 1 ? `; medians of ${messaging.rounds} rounds` : ''}`)}</p>`,
    `<div class="charts">${figures.join('\n')}</div>`,
    `<div class="charts"><figure>${throughput}</figure><figure>${deliveries}</figure></div>`,
    table(['phase', 'system', 'accepted', 'accepted/s', 'deliveries/s', 'p50 ms', 'p99 ms', 'max ms', 'server cpu ms/msg', 'missing'], rows),
    '</section>',
  ].join('\n');
}

function scaleSection(scale: NonNullable<BenchResult['scale']>): string {
  const timeline = scale.timeline;
  const joined = lineChart({
    title: `clients joined over time (${scale.joined}/${scale.requested})`,
    xLabel: 'seconds since the first connect',
    yLabel: 'clients logged in',
    series: [{ name: 'joined', color: COLORS.warren, points: timeline.map((p) => [p.s, p.joined]) }],
  });
  const rss = lineChart({
    title: 'coordinator memory over time',
    xLabel: 'seconds since the first connect',
    yLabel: 'RSS (MB)',
    series: [{ name: 'coordinator RSS', color: COLORS.rss, points: timeline.map((p) => [p.s, p.rssMb]) }],
  });
  const cpu = lineChart({
    title: 'coordinator CPU over time',
    xLabel: 'seconds since the first connect',
    yLabel: '% of one core',
    series: [{ name: 'coordinator CPU', color: COLORS.cpu, points: timeline.map((p) => [p.s, p.cpuPercent]) }],
  });
  const rows = [
    row(['all joined', `${scale.allJoinedMs} ms`]),
    row(['join, one client p50 / p99 / max', `${scale.joinMs.p50} / ${scale.joinMs.p99} / ${scale.joinMs.max} ms`]),
    row(['coordinator RSS before / after join / highest', `${scale.coordinator.rssBeforeMb} / ${scale.coordinator.rssAfterJoinMb} / ${scale.coordinator.highestRssMb} MB`]),
    row(['one message to all', `${scale.broadcast.reached}/${scale.broadcast.expected} in ${scale.broadcast.allReachedMs} ms`]),
    row(['sessions lost', scale.sessionsLost]),
  ];
  return [
    '<section>',
    `<h2>Scale: ${scale.requested} clients, ${scale.joinConcurrency} joining at once</h2>`,
    timeline.length === 0 ? '<p class="meta">This result has no timeline (recorded from the HTML report on).</p>' : '',
    `<div class="charts"><figure>${joined}</figure><figure>${rss}</figure><figure>${cpu}</figure></div>`,
    table(['figure', 'value'], rows),
    '</section>',
  ].join('\n');
}

function startupSection(result: BenchResult): string {
  const rows: string[] = [];
  for (const [st, mode] of [
    [result.startup, 'open mode'],
    [result.secureStartup, 'secure mode'],
  ] as const) {
    if (!st) continue;
    rows.push(row([`${mode}: coordinator spawn → ready`, `${st.coordinatorReadyMs.p50} ms`]));
    rows.push(row([`${mode}: client in a terminal → name prompt`, st.clientPromptMs ? `${st.clientPromptMs.p50} ms` : st.clientPromptNote]));
    rows.push(row([`${mode}: client library connect + login`, `${st.libraryConnectLoginMs.p50} ms`]));
  }
  return rows.length === 0 ? '' : ['<section>', '<h2>Start-up (medians)</h2>', table(['what', 'time'], rows), '</section>'].join('\n');
}

function targetsSection(result: BenchResult): string {
  const rows = result.targets.map((t) => {
    const verdict = t.met === null ? '-' : t.met ? '<span class="met">met</span>' : '<span class="missed">MISSED</span>';
    return `<tr><td>${escapeXml(t.description)}</td><td>${escapeXml(t.target)}</td><td>${escapeXml(t.value)}</td><td>${verdict}</td></tr>`;
  });
  return ['<section>', '<h2>Targets (reported, never asserted)</h2>', table(['target', 'wanted', 'this run', ''], rows), '</section>'].join('\n');
}

function row(cells: readonly (string | number)[]): string {
  return `<tr>${cells.map((cell) => `<td>${escapeXml(String(cell))}</td>`).join('')}</tr>`;
}

function table(header: readonly string[], rows: readonly string[]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
