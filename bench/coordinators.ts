#!/usr/bin/env node
/**
 * Several coordinators (issue 12): throughput with 1, 2 and 3 coordinators on a shared SQLite
 * folder and on PostgreSQL, in interleaved rounds; then coordinator failover over several trials.
 * Prints Markdown tables; asserts nothing.
 *
 *   npm run bench:coordinators -- [--rounds 3] [--trials 10] [--parts throughput,failover] [--help]
 */
import { loadavg } from 'node:os';
import { runFailover } from './coordinators-failover.js';
import { parseCoordinatorsBenchOptions } from './coordinators-options.js';
import { failoverTable, failoverVerdict, throughputProblems, throughputTable } from './coordinators-report.js';
import { runThroughput, type ThroughputRun } from './coordinators-throughput.js';
import { runOrder } from './messaging.js';
import { brokerPidFor } from './proc.js';
import { killAllPrograms } from './programs.js';

const load = (): string => loadavg().map((value) => value.toFixed(2)).join(', ');
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const progress = (line: string): void => void process.stderr.write(`[coordinators] ${line}\n`);

const LIMITS_NOTE = [
  'What limits these figures: every coordinator, the broker, PostgreSQL and the clients (this process) share the',
  "machine's cores (2 here, also used by others). A second coordinator adds a Node.js thread but no core: past the",
  'point where the broker and the clients take the cores, more coordinators divide the same CPU and add a',
  'hand-over per partition. Each coordinator also pays its own commits (smaller batches each), and on SQLite the',
  'coordinators queue for the one writer lock of the shared file. In one room (the default) every message also',
  "takes that room's counter row; on PostgreSQL it stays locked until the batch commits, so the coordinators take",
  'turns on it (--rooms spreads the traffic). Scaling out shows only where each coordinator has cores of its own',
  '(and the broker a node of its own).',
];

async function main(): Promise<number> {
  const parsed = parseCoordinatorsBenchOptions(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.message) process.stderr.write(`${parsed.message}\n`);
    return parsed.exitCode;
  }
  const options = parsed.settings;
  process.on('exit', killAllPrograms);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllPrograms();
      process.exit(130);
    });
  }
  const brokerPid = brokerPidFor(options.amqpUrl);
  out(`# Several coordinators, ${new Date().toISOString()}, load average ${load()}`);
  const result: { throughput?: ThroughputRun[]; failover?: Awaited<ReturnType<typeof runFailover>> } = {};

  if (options.parts.includes('throughput')) {
    const configurations = options.stores.flatMap((store) => options.coordinators.map((coordinators) => ({ store, coordinators })));
    const runs: ThroughputRun[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      for (const configuration of runOrder(configurations, 0, round)) {
        progress(`round ${round + 1}/${options.rounds}: ${configuration.coordinators} on ${configuration.store} (load ${load()})`);
        const run = await runThroughput({ ...options, ...configuration, brokerPid });
        progress(`  ${run.acceptedPerSec} msg/s, p50 ${run.latencyP50Ms} ms, share ${run.servedShare.join('/')}`);
        runs.push(run);
      }
    }
    result.throughput = runs;
    out();
    out(`## Throughput: ${options.clients} clients × ${Math.round(options.messages / options.clients)} messages ${options.rooms > 1 ? `to ${options.rooms} rooms` : 'in #general'}, window ${options.window}, ${options.partitions} partitions, medians of ${options.rounds} interleaved rounds (load average now ${load()})`);
    out(`accepted msg/s: first send → last accept; latency: send → accept; CPU per accepted message; each client also receives every message${options.rooms > 1 ? ' of its room' : ''}.`);
    out();
    for (const line of throughputTable(runs)) out(line);
    out();
    for (const line of throughputProblems(runs)) out(`problem: ${line}`);
    out();
    for (const line of LIMITS_NOTE) out(line);
  }

  if (options.parts.includes('failover')) {
    progress(`failover: ${options.trials} trials on ${options.failoverStore} (load ${load()})`);
    const failover = await runFailover({ ...options, store: options.failoverStore }, progress);
    result.failover = failover;
    out();
    out(`## Failover: two coordinators, ${options.partitions} partitions, ${options.failoverStore}, ${options.clients} clients × 1 message every ${options.intervalMs} ms, ${options.trials} trials (load average now ${load()})`);
    out('Each trial kills (SIGKILL) the coordinator that logged a message last; its clients are those whose last message accepted before the kill it had logged.');
    out('servedAgainMs: kill → the survivor logs the first message of those clients; firstAcceptMs / allAcceptedMs: kill → the first / the last of those');
    out('clients has a message sent after the kill accepted; inFlightAtKill: their messages sent before the kill and accepted after it;');
    out('lost: sent and never accepted or not in history; doubled: twice in history or shown twice by a client; unseen: stored but not shown by a client.');
    out();
    for (const line of failoverTable(failover)) out(line);
    out();
    out(`sent ${failover.sent}, accepted ${failover.accepted}, stored ${failover.stored}, logged ${failover.logged}, log lines repeated across files ${failover.logLinesRepeated}`);
    out(failoverVerdict(failover));
  }
  if (options.json) out(JSON.stringify(result));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
