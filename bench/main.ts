#!/usr/bin/env node
/**
 * `npm run bench`: the ceiling (a raw amqplib relay, per message and batched) and warren (the real
 * coordinator and client library) side by side on the broker at AMQP_URL, then one big room on a
 * private node of its own, then C clients at once, then start-up times.
 * Prints a table and writes JSON. Every part is bounded in count and time and stops by itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CommanderError } from 'commander';
import { isWarrenError } from '../shared/index.js';
import { runBigRoom } from './bigroom.js';
import { runMessaging } from './messaging.js';
import { benchNamespace, brokerVersion } from './namespace.js';
import { parseBenchOptions, type BenchOptions } from './options.js';
import { htmlPathFor, renderHtmlReport } from './html-report.js';
import { killAllPrivateNodes } from './private-node.js';
import { killAllPrograms, ROOT } from './programs.js';
import { judgeTargets, renderReport } from './report.js';
import { benchResultSchema, type BenchResult } from './result.js';
import { runScale } from './scale.js';
import { runStartup } from './startup.js';
import { runWeb } from './web.js';

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isWarrenError(err)) {
      process.stderr.write(`${err.code}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const progress = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  // Neither a private node nor a child program may outlive the run, however it ends.
  const killAll = (): void => {
    killAllPrograms();
    killAllPrivateNodes();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      killAll();
      process.exit(130);
    });
  }
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const resultsDir = resolve(ROOT, options.resultsDir);
  const file = options.out ? resolve(options.out) : join(resultsDir, `${stamp}.json`);
  const serverMain = resolve(ROOT, options.server);

  const errors: BenchResult['errors'] = [];
  const attempt = async <T>(section: string, work: () => Promise<T>): Promise<T | null> => {
    if (!options.sections.includes(section as BenchOptions['sections'][number])) return null;
    progress(`${section} …`);
    try {
      return await work();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      progress(`${section} failed: ${message}`);
      errors.push({ section, message });
      return null;
    }
  };

  const broker = await brokerVersion(options.amqpUrl);
  let profile: BenchResult['profile'] = null;
  const messaging = await attempt('messaging', async () => {
    const run = await runMessaging(
      {
        amqpUrl: options.amqpUrl,
        messages: options.messages,
        participants: options.participants,
        size: options.size,
        window: options.window,
        rates: options.rates,
        rounds: options.rounds,
        prefetch: options.prefetch,
        noDelay: options.noDelay,
        serverMain,
        ...(options.cpuProf ? { profileDir: join(resultsDir, 'profiles', stamp) } : {}),
      },
      progress,
    );
    profile = run.profile;
    return run.result;
  });
  const bigRoom = await attempt('bigroom', () =>
    runBigRoom(
      {
        members: options.roomMembers,
        messages: options.roomMessages,
        size: options.size,
        noDelay: options.noDelay,
        joinConcurrency: options.joinConcurrency,
        processes: options.roomProcesses,
        openFiles: options.roomOpenFiles,
        prefetch: options.prefetch,
        serverMain,
      },
      progress,
    ),
  );
  const scale = await attempt('scale', () =>
    runScale(
      {
        amqpUrl: options.amqpUrl,
        namespace: benchNamespace('scale'),
        clients: options.scaleClients,
        concurrency: options.joinConcurrency,
        stallMs: options.joinStallSeconds * 1000,
        clientsPerProcess: options.scaleClientsPerProcess,
        idleMs: options.scaleIdleSeconds * 1000,
        ...(options.scaleSessionTimeout === undefined ? {} : { sessionTimeoutSeconds: options.scaleSessionTimeout }),
        ...(options.scaleAmqpHeartbeat === undefined ? {} : { amqpHeartbeatSeconds: options.scaleAmqpHeartbeat }),
        ...(options.scalePrivateNode ? { privateNode: { openFiles: options.scaleOpenFiles } } : {}),
        prefetch: options.prefetch,
        noDelay: options.noDelay,
        serverMain,
      },
      progress,
    ),
  );
  const startup = await attempt('startup', () => runStartup({ amqpUrl: options.amqpUrl, runs: options.startupRuns, prefetch: options.prefetch, serverMain }));
  // The same start-up runs in secure mode: the broker asks the coordinator's authority about every login and check.
  const secureStartup = options.secure
    ? await attempt('startup', () =>
        runStartup({ amqpUrl: options.secureUrl, runs: options.startupRuns, prefetch: options.prefetch, serverMain, authorityPort: options.authorityPort }),
      )
    : null;
  if (secureStartup) {
    progress(
      `secure mode (${options.secureUrl}): library connect+login p50 ${secureStartup.libraryConnectLoginMs.p50} ms, client program p50 ${secureStartup.clientProgramMs?.p50 ?? 'n/a'} ms, coordinator ready p50 ${secureStartup.coordinatorReadyMs.p50} ms`,
    );
  }

  const web = await attempt('web', () =>
    runWeb({ amqpUrl: options.amqpUrl, runs: options.startupRuns, messages: options.webMessages, prefetch: options.prefetch, serverMain }, progress),
  );

  const finishedAt = new Date();
  const cpu = cpus();
  const result: BenchResult = {
    schema: 'warren-bench/1',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    command: ['node', 'dist/bench/main.js', ...process.argv.slice(2)].join(' '),
    machine: {
      nproc: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? 'unknown',
      memTotalMb: Math.round(totalmem() / 1024 / 1024),
      // Other users of the machine: 1, 5 and 15 minute load averages at the start and the end.
      loadAverageStart: loadAtStart.map((x) => Math.round(x * 100) / 100),
      loadAverageEnd: loadavg().map((x) => Math.round(x * 100) / 100),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      broker,
    },
    options: { ...options, amqpUrl: options.amqpUrl.replace(/\/\/([^:/@]+):([^@/]*)@/, '//$1:***@') },
    messaging,
    bigRoom,
    scale,
    startup,
    secureStartup,
    web,
    targets: judgeTargets({ messaging, bigRoom, scale, startup }),
    profile,
    errors,
  };
  benchResultSchema.parse(result);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  // The same figures as charts, beside the JSON: <name>.html.
  const html = htmlPathFor(file);
  writeFileSync(html, renderHtmlReport(result));
  process.stdout.write(renderReport(result, file, html));
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
