#!/usr/bin/env node
/**
 * `node dist/bench/cluster-failover.js [--trials 10] [--clients 4]`: warren on a three-node
 * loopback RabbitMQ cluster (server/broker/rabbit-cluster.ts). The real coordinator and several
 * clients, each given every node, send a steady stream; each trial kills (SIGKILL) either the node
 * a client is on or the node leading the input queues, then starts it again. Per trial: time until
 * every client that lost its node is connected again, time until the first message is served
 * again, and, at the end, messages lost and doubled. Prints a table (median, p90, max).
 * `--secure`: every node configured from broker/rabbitmq.conf like the secure deployment, asking
 * the coordinator's authority (server/broker/broker-config.ts `clusterNodeBrokerConfig`), and the
 * clients in secure mode, so every kill also kills one of the authority's event streams.
 * `--node-order listed` (default): placed, as the figures in docs/RELIABILITY.md were taken: the
 * coordinator on node 0, client i on node i mod 3. `spread`: as deployed (WARREN_AMQP_NODE_ORDER's
 * default), everyone given the same list and starting at a random node.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { WarrenClient } from '../client/lib/warren-client.js';
import { clusterNodeBrokerConfig } from '../server/broker/broker-config.js';
import { clusterOnFreePorts, freeLoopbackPort, type RabbitCluster } from '../server/broker/rabbit-cluster.js';
import { DEFAULT_ROOM, LIMITS, NODE_ORDERS, type ChatEvent, type NodeOrder } from '../shared/index.js';
import { benchNamespace } from './namespace.js';
import { killAllPrograms, ROOT, startCoordinator } from './programs.js';
import { percentiles } from './stats.js';

function count(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number from 1');
  return Number(value);
}

const opts = new Command('cluster-failover')
  .option('--trials <n>', 'trials of each kind', count, 10)
  .option('--clients <n>', 'clients sending all the time', count, 4)
  .option('--interval <ms>', 'pause between one client message and its next', count, 50)
  .option('--secure', 'secure mode: the nodes ask the coordinator\'s authority, the clients log in with minted ids')
  .addOption(
    new Option('--node-order <order>', 'listed: the coordinator on node 0 and client i on node i mod 3 (placed); spread: everyone given the same list, starting at a random node (WARREN_AMQP_NODE_ORDER)')
      .choices(NODE_ORDERS)
      .default('listed'),
  )
  .parse()
  .opts<{ trials: number; clients: number; interval: number; secure?: boolean; nodeOrder: NodeOrder }>();

interface Probe {
  name: string;
  client: WarrenClient;
  connects: { atMs: number; broker: string }[];
  sent: string[];
  served: number[];
  sessionsLost: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const authorityPort = opts.secure ? await freeLoopbackPort() : undefined;
  const nodeConfig =
    authorityPort === undefined
      ? {}
      : clusterNodeBrokerConfig(readFileSync(join(ROOT, 'broker', 'rabbitmq.conf'), 'utf8'), readFileSync(join(ROOT, 'broker', 'enabled_plugins'), 'utf8'), {
          authorityOrigin: `http://127.0.0.1:${authorityPort}`,
          definitionsFile: join(ROOT, 'broker', 'definitions.json'),
        });
  const cluster = await clusterOnFreePorts({ dir: mkdtempSync(join(tmpdir(), 'warren-bench-cluster-')), prefix: 'warren-bench', baseEnv: process.env, ...nodeConfig });
  const cleanUp = (): void => {
    cluster.stop();
    killAllPrograms();
  };
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    const began = performance.now();
    await cluster.start();
    process.stdout.write(`cluster of 3 formed in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
    await run(cluster, authorityPort);
  } finally {
    cleanUp();
  }
}

async function run(cluster: RabbitCluster, authorityPort: number | undefined): Promise<void> {
  const namespace = benchNamespace('cluster');
  const coordinator = await startCoordinator({ amqpUrl: cluster.urls(), amqpNodeOrder: opts.nodeOrder, namespace, prefetch: 200, ...(authorityPort === undefined ? {} : { authorityPort }) });
  const coordinatorNode = /connected to (\S+)/.exec(coordinator.stderr())?.[1];
  process.stdout.write(`${authorityPort === undefined ? 'open' : 'secure'} mode, node order ${opts.nodeOrder}; the coordinator is on node ${coordinatorNode === undefined ? '?' : cluster.indexOfUrl(coordinatorNode)}\n`);
  const probes: Probe[] = [];
  const urls = cluster.nodes.map((node) => node.url);
  for (let i = 0; i < opts.clients; i += 1) {
    const order = opts.nodeOrder === 'listed' ? [...urls.slice(i % urls.length), ...urls.slice(0, i % urls.length)].join(',') : cluster.urls();
    const client = new WarrenClient({ amqpUrl: order, nodeOrder: opts.nodeOrder, namespace, security: authorityPort === undefined ? { mode: 'open' } : { mode: 'secure', coordinatorUser: 'warren-coordinator' }, requestTimeoutMs: 60_000 });
    const probe: Probe = { name: `c${i}`, client, connects: [], sent: [], served: [], sessionsLost: 0 };
    client.on('sessionLost', () => (probe.sessionsLost += 1));
    client.on('status', (status) => {
      if (status.state === 'connected') probe.connects.push({ atMs: performance.now(), broker: status.broker });
    });
    await client.connect();
    await client.login(probe.name);
    probes.push(probe);
  }
  process.stdout.write(`clients start on nodes ${probes.map((probe) => cluster.indexOfUrl(probe.connects[0]?.broker ?? '')).join(', ')}\n`);
  let sending = true;
  const pending: Promise<unknown>[] = [];
  const loops = probes.map(async (probe) => {
    for (let n = 0; sending; n += 1) {
      const text = `${probe.name} ${n}`;
      probe.sent.push(text);
      const answered = probe.client.send(text).then(
        () => probe.served.push(performance.now()),
        () => undefined,
      );
      pending.push(answered);
      await Promise.race([answered, sleep(opts.interval)]);
      await sleep(opts.interval);
    }
  });

  const rows: { kind: string; node: number; backMs: number; firstServedMs: number }[] = [];
  for (let trial = 0; trial < opts.trials * 2; trial += 1) {
    const kind = trial % 2 === 0 ? 'client node' : 'leader node';
    const onNode = (probe: Probe): number => cluster.indexOfUrl(probe.connects.at(-1)?.broker ?? urls[0] ?? '');
    const node = kind === 'client node' ? onNode(probes[trial % probes.length] as Probe) : await cluster.leaderOf(`${namespace}.chat`);
    const moved = probes.filter((probe) => onNode(probe) === node);
    const before = new Map(moved.map((probe) => [probe.name, probe.connects.length]));
    const servedBefore = probes.reduce((sum, probe) => sum + probe.served.length, 0);
    await sleep(500);
    const killedAt = performance.now();
    cluster.killNode(node);
    // Back: every client that was on the node is connected again (to another).
    while (moved.some((probe) => probe.connects.length <= (before.get(probe.name) ?? 0))) await sleep(5);
    const backMs = moved.length === 0 ? 0 : Math.max(...moved.map((probe) => (probe.connects.at(-1)?.atMs ?? killedAt) - killedAt));
    // Served: the first answer to a message sent after the kill, by any client.
    const firstAfter = (): number | undefined =>
      probes
        .flatMap((probe) => probe.served)
        .filter((at) => at > killedAt)
        .sort((a, b) => a - b)[0];
    while (firstAfter() === undefined) await sleep(5);
    const firstServedMs = (firstAfter() ?? killedAt) - killedAt;
    rows.push({ kind, node, backMs, firstServedMs });
    process.stdout.write(`trial ${trial + 1}: killed node ${node} (${kind}, ${moved.length} client(s) on it): back in ${backMs.toFixed(0)} ms, first message served after ${firstServedMs.toFixed(0)} ms (${probes.reduce((sum, probe) => sum + probe.served.length, 0) - servedBefore} served meanwhile)\n`);
    await cluster.restartNode(node);
  }
  sending = false;
  await Promise.all(loops);
  await Promise.all(pending);

  // Lost and doubled: every line sent, against the store's history.
  const reader = probes[0]?.client as WarrenClient;
  const history: ChatEvent[] = [];
  for (;;) {
    const page = await reader.history({ room: DEFAULT_ROOM, afterSeq: history.at(-1)?.seq ?? 0, limit: LIMITS.maxHistoryPage });
    history.push(...page.messages);
    if (page.messages.length < LIMITS.maxHistoryPage) break;
  }
  const stored = history.map((event) => event.text);
  const storedSet = new Set(stored);
  const sent = probes.flatMap((probe) => probe.sent);
  const lost = sent.filter((text) => !storedSet.has(text)).length;
  const doubled = stored.length - storedSet.size;
  const served = probes.reduce((sum, probe) => sum + probe.served.length, 0);

  const line = (label: string, values: number[]): string => {
    const p = percentiles(values);
    return `| ${label} | ${values.length} | ${p[50]} | ${p[90]} | ${p[100]} |`;
  };
  process.stdout.write(
    [
      '',
      `| ${opts.trials * 2} kills (SIGKILL), ${opts.clients} clients | trials | median ms | p90 ms | max ms |`,
      '|---|---|---|---|---|',
      line("clients back, their node killed", rows.filter((row) => row.kind === 'client node').map((row) => row.backMs)),
      line('first message served, client node killed', rows.filter((row) => row.kind === 'client node').map((row) => row.firstServedMs)),
      line('clients back, leader node killed', rows.filter((row) => row.kind === 'leader node').map((row) => row.backMs)),
      line('first message served, leader node killed', rows.filter((row) => row.kind === 'leader node').map((row) => row.firstServedMs)),
      '',
      `messages: sent ${sent.length}, answered ${served}, stored ${stored.length}, lost ${lost}, doubled ${doubled}; sessions lost ${probes.reduce((sum, probe) => sum + probe.sessionsLost, 0)}`,
      '',
    ].join('\n'),
  );
  await Promise.all(probes.map((probe) => probe.client.close()));
  await coordinator.shutdown();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
