import { readFileSync } from 'node:fs';
import { round } from './stats.js';

/**
 * Where a V8 CPU profile (`node --cpu-prof`) spent its time: self time by function and by
 * component (warren's own modules, each npm package, Node internals, GC, idle).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Total less idle. */
  busyMs: number;
  byComponent: { component: string; selfMs: number; percentOfBusy: number }[];
  topFunctions: { fn: string; component: string; selfMs: number; percentOfBusy: number }[];
  /** warren's own functions by inclusive time (themselves and everything they call). */
  warrenInclusive: { fn: string; totalMs: number; percentOfBusy: number }[];
}

export function componentOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(program)') return 'node/v8 (native)';
    return 'native';
  }
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const own = /\/dist\/(server|shared|client|bench)\//.exec(url);
  if (own?.[1]) return `warren ${own[1]}`;
  return 'other';
}

export function summariseProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const node = profile.samples[i];
    if (node === undefined) continue;
    selfUs.set(node, (selfUs.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byComponent = new Map<string, number>();
  const byFunction = new Map<string, { component: string; us: number }>();
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const component = componentOf(url, functionName);
    byComponent.set(component, (byComponent.get(component) ?? 0) + us);
    const where = url === '' ? '' : ` ${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'}${where}`;
    const entry = byFunction.get(key) ?? { component, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const busyUs = totalUs - (byComponent.get('idle') ?? 0);
  const inclusive = inclusiveOwnTime(profile);
  const percent = (us: number): number => (busyUs > 0 ? round((us * 100) / busyUs) : 0);
  return {
    file,
    totalMs: round(totalUs / 1000),
    busyMs: round(busyUs / 1000),
    byComponent: [...byComponent]
      .filter(([component]) => component !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([component, us]) => ({ component, selfMs: round(us / 1000), percentOfBusy: percent(us) })),
    topFunctions: [...byFunction]
      .filter(([, entry]) => entry.component !== 'idle')
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([fn, entry]) => ({ fn, component: entry.component, selfMs: round(entry.us / 1000), percentOfBusy: percent(entry.us) })),
    warrenInclusive: [...inclusive]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, totalMs: round(us / 1000), percentOfBusy: percent(us) })),
  };
}

/** Each sample's time goes to every distinct warren function on its stack. */
function inclusiveOwnTime(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = profile.timeDeltas[i] ?? 0;
    const onStack = new Set<string>();
    for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (frame && componentOf(frame.url, frame.functionName).startsWith('warren')) {
        onStack.add(`${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`);
      }
    }
    for (const key of onStack) totals.set(key, (totals.get(key) ?? 0) + delta);
  }
  return totals;
}

function shortUrl(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) return url.slice(inModules + 'node_modules/'.length);
  const inDist = url.indexOf('/dist/');
  if (inDist >= 0) return url.slice(inDist + 1);
  return url.replace(/^file:\/\//, '');
}
