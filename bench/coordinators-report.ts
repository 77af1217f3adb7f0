import type { FailoverResult, FailoverTrial } from './coordinators-failover.js';
import type { ThroughputRun } from './coordinators-throughput.js';
import { median } from './stats.js';

/** Nearest-rank percentile of a few values (the trials): 0.5 is the median, 0.9 the p90. */
export function rank(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? 0;
}

const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;

/** Medians over the rounds of each store × coordinator count, as a Markdown table. */
export function throughputTable(runs: ThroughputRun[]): string[] {
  const lines = [
    row(['store', 'coordinators', 'accepted msg/s', 'p50 ms', 'p99 ms', 'coordinators CPU ms/msg', 'broker CPU ms/msg', 'clients CPU ms/msg', 'msgs per commit', 'ms per commit', 'share of the last round', 'refused', 'error lines', 'rounds']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---:', '---:', '---:']),
  ];
  const keys = [...new Set(runs.map((run) => `${run.store}\t${run.coordinators}`))];
  for (const key of keys) {
    const [store, count] = key.split('\t');
    const own = runs.filter((run) => run.store === store && String(run.coordinators) === count);
    const med = (pick: (run: ThroughputRun) => number): number => median(own.map(pick));
    const broker = own.every((run) => run.brokerCpuMsPerMessage !== null) ? med((run) => run.brokerCpuMsPerMessage ?? 0) : '–';
    lines.push(
      row([
        store ?? '',
        count ?? '',
        med((run) => run.acceptedPerSec),
        med((run) => run.latencyP50Ms),
        med((run) => run.latencyP99Ms),
        // A run in which a coordinator exited has no CPU figure: the median is over the others.
        median(own.flatMap((run) => (run.coordinatorCpuMsPerMessage === null ? [] : [run.coordinatorCpuMsPerMessage]))),
        broker,
        med((run) => run.clientsCpuMsPerMessage),
        med((run) => run.inputsPerCommit),
        med((run) => run.msPerCommit),
        own.at(-1)?.servedShare.join('/') ?? '',
        own.reduce((sum, run) => sum + run.refused, 0),
        own.reduce((sum, run) => sum + run.coordinatorErrors, 0),
        own.length,
      ]),
    );
  }
  return lines;
}

/** The runs that refused messages or whose coordinators logged errors, each with the first of them. */
export function throughputProblems(runs: ThroughputRun[]): string[] {
  return runs
    .filter((run) => run.refused > 0 || run.coordinatorErrors > 0 || run.coordinatorsExited > 0)
    .map(
      (run) =>
        `${run.coordinators} on ${run.store} (${run.acceptedPerSec} msg/s): ${run.coordinatorsExited} coordinators exited, ${run.refused} refused${run.firstRefusal ? ` (first: ${run.firstRefusal})` : ''}, ${run.coordinatorErrors} error lines${run.firstCoordinatorError ? ` (first: ${run.firstCoordinatorError})` : ''}`,
    );
}

const MEASURES = ['servedAgainMs', 'firstAcceptMs', 'allAcceptedMs', 'inFlightAtKill', 'lost', 'doubled', 'unseen'] as const satisfies readonly (keyof FailoverTrial)[];

/** One row per trial, then the median, p90 and max of each measure. */
export function failoverTable(result: FailoverResult): string[] {
  const lines = [row(['trial', 'killed', 'its clients', 'sent', ...MEASURES]), row(['---:', '---', '---:', '---:', ...MEASURES.map(() => '---:')])];
  for (const trial of result.trials) lines.push(row([trial.trial, `${trial.killed} (${trial.survivor} left)`, trial.itsClients, trial.sent, ...MEASURES.map((measure) => trial[measure])]));
  for (const [label, q] of [['median', 0.5], ['p90', 0.9], ['max', 1]] as const) {
    lines.push(row([`**${label}**`, '', '', '', ...MEASURES.map((measure) => rank(result.trials.map((trial) => trial[measure]), q))]));
  }
  return lines;
}

/** The verdict against issue 12's failover target: ≤ 2 s at the median, 0 lost, 0 doubled. */
export function failoverVerdict(result: FailoverResult): string {
  const trials = result.trials;
  const recovery = rank(trials.map((trial) => trial.allAcceptedMs), 0.5);
  const lost = trials.reduce((sum, trial) => sum + trial.lost, 0);
  const doubled = trials.reduce((sum, trial) => sum + trial.doubled, 0) + result.logLinesRepeated;
  const met = recovery <= 2000 && lost === 0 && doubled === 0;
  return `target (median ≤ 2000 ms until all of the killed one's clients are served again, 0 lost, 0 doubled): ${met ? 'MET' : 'MISSED'} (median ${recovery} ms, lost ${lost}, doubled ${doubled})`;
}
