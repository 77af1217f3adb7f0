/**
 * Small, dependency-free SVG charts for the benchmark's HTML report: a line chart (linear or
 * logarithmic x axis) and a grouped bar chart. Every piece of text goes through `escapeXml`.
 */

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  xLog?: boolean;
  /** Fixed y range; otherwise 0 to the largest y. */
  yMax?: number;
  width?: number;
  height?: number;
}

export interface BarChartSpec {
  title: string;
  yLabel: string;
  categories: readonly string[];
  /** One value per category in each. */
  series: readonly { name: string; color: string; values: readonly number[] }[];
  width?: number;
  height?: number;
}

const MARGIN = { top: 34, right: 16, bottom: 44, left: 60 };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Round tick values: 1, 2 or 5 times a power of ten, about `count` of them from 0 to max. */
export function linearTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks[ticks.length - 1] ?? 0) < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

/** Powers of ten (and 2 and 5 times them when the range is short) covering [min, max]. */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const multiples = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e += 1) for (const m of multiples) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  return ticks.filter((t) => t >= 10 ** lo && t <= 10 ** hi);
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 10_000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

function frame(spec: { title: string; width: number; height: number }, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${spec.width} ${spec.height}" width="${spec.width}" height="${spec.height}" role="img" aria-label="${escapeXml(spec.title)}" ${FONT} font-size="11">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${spec.width}" height="${spec.height}" fill="#fff"/>`,
    `<text x="${spec.width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="600">${escapeXml(spec.title)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}

function legend(items: readonly { name: string; color: string; dashed?: boolean }[], x: number, y: number): string[] {
  return items.map((item, i) => {
    const ly = y + i * 15;
    return (
      `<g class="legend"><line x1="${x}" y1="${ly}" x2="${x + 18}" y2="${ly}" stroke="${item.color}" stroke-width="3"${item.dashed ? ' stroke-dasharray="5 3"' : ''}/>` +
      `<text x="${x + 23}" y="${ly + 4}">${escapeXml(item.name)}</text></g>`
    );
  });
}

function axisLabels(xLabel: string, yLabel: string, width: number, height: number): string[] {
  const plotMidY = MARGIN.top + (height - MARGIN.top - MARGIN.bottom) / 2;
  return [
    `<text x="${MARGIN.left + (width - MARGIN.left - MARGIN.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(14 ${plotMidY}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  ];
}

export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 460;
  const height = spec.height ?? 280;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const all = spec.series.flatMap((s) => s.points);
  const body: string[] = [];
  if (all.length === 0) {
    body.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#888">no data</text>`);
    return frame({ title: spec.title, width, height }, body);
  }
  const xs = all.map(([x]) => x);
  const log = spec.xLog === true;
  const floor = 0.01;
  const xMinRaw = log ? Math.max(floor, Math.min(...xs)) : Math.min(0, ...xs);
  const xMaxRaw = Math.max(...xs);
  const xTicks = log ? logTicks(xMinRaw, Math.max(xMaxRaw, xMinRaw * 10)) : linearTicks(xMaxRaw);
  const xMin = log ? (xTicks[0] ?? xMinRaw) : 0;
  const xMax = xTicks[xTicks.length - 1] ?? xMaxRaw;
  const yTicks = linearTicks(spec.yMax ?? Math.max(...all.map(([, y]) => y)));
  const yMax = spec.yMax ?? yTicks[yTicks.length - 1] ?? 1;
  const px = (x: number): number =>
    MARGIN.left + (log ? (Math.log10(Math.max(x, xMin)) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin) || 1) : (x - xMin) / (xMax - xMin || 1)) * plotW;
  const py = (y: number): number => MARGIN.top + plotH - (y / (yMax || 1)) * plotH;
  for (const t of yTicks.filter((t) => t <= yMax)) {
    body.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${MARGIN.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${escapeXml(formatTick(t))}</text>`);
  }
  for (const t of xTicks) {
    body.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#f0f0f0"/>`);
    body.push(`<text x="${px(t).toFixed(1)}" y="${MARGIN.top + plotH + 15}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`);
  }
  body.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(1)} ${py(y).toFixed(1)}`).join(' ');
    body.push(
      `<path class="series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
  }
  body.push(...axisLabels(spec.xLabel, spec.yLabel, width, height));
  body.push(...legend(spec.series, MARGIN.left + 10, MARGIN.top + 14));
  return frame({ title: spec.title, width, height }, body);
}

export function barChart(spec: BarChartSpec): string {
  const width = spec.width ?? 460;
  const height = spec.height ?? 280;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const body: string[] = [];
  const values = spec.series.flatMap((s) => s.values);
  // Headroom above the tallest bar for its label and the legend.
  const yTicks = linearTicks(Math.max(0, ...values) * 1.2);
  const yMax = yTicks[yTicks.length - 1] ?? 1;
  const py = (y: number): number => MARGIN.top + plotH - (y / (yMax || 1)) * plotH;
  for (const t of yTicks) {
    body.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${MARGIN.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${escapeXml(formatTick(t))}</text>`);
  }
  const group = plotW / Math.max(1, spec.categories.length);
  const barW = (group * 0.7) / Math.max(1, spec.series.length);
  spec.categories.forEach((category, c) => {
    const x0 = MARGIN.left + c * group + group * 0.15;
    spec.series.forEach((s, i) => {
      const v = s.values[c] ?? 0;
      const x = x0 + i * barW;
      body.push(
        `<rect class="bar" data-series="${escapeXml(s.name)}" x="${x.toFixed(1)}" y="${py(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(MARGIN.top + plotH - py(v)).toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${s.name}, ${category}: ${v}`)}</title></rect>`,
      );
      body.push(`<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(py(v) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${escapeXml(formatTick(v))}</text>`);
    });
    body.push(`<text x="${(MARGIN.left + c * group + group / 2).toFixed(1)}" y="${MARGIN.top + plotH + 15}" text-anchor="middle">${escapeXml(category)}</text>`);
  });
  body.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  body.push(...axisLabels('', spec.yLabel, width, height));
  body.push(...spec.series.flatMap((s, i) => legend([s], MARGIN.left + 10 + i * 90, MARGIN.top + 12)));
  return frame({ title: spec.title, width, height }, body);
}
