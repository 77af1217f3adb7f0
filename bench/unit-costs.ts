#!/usr/bin/env node
/**
 * `node dist/bench/unit-costs.js`: the unit costs the capacity model (bench/capacity-model.ts,
 * docs/SCALING.md) needs and the benchmark does not give, measured on this machine:
 * - the store: SQLite commits per second and CPU per commit with one message per commit (a turn
 *   at human rates), and CPU per message in batches of 50 (a busy turn), on the real SQLite store;
 * - the broker, on a private node (bench/private-node.ts): memory per bare connection (with one
 *   channel), memory per exclusive queue with its binding and consumer, and CPU per delivery when
 *   one publish fans out to many queues.
 * Prints one JSON object. Sizes are flags: --connections, --queues, --fanout-messages, --commits.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib, { type ChannelModel } from 'amqplib';
import { Command } from 'commander';
import { openSqliteStore } from '../server/store/open-store.js';
import { killAllPrivateNodes, startPrivateNode, type PrivateNode } from './private-node.js';
import { sampleProcess } from './proc.js';
import { forEachLimited } from './systems.js';

interface Sizes {
  connections: number;
  queues: number;
  fanoutMessages: number;
  commits: number;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function measureStore(commits: number): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-unit-costs-'));
  const store = openSqliteStore(dir);
  let n = 0;
  const message = () => {
    n += 1;
    const now = new Date().toISOString();
    return { id: `m${n}`, sessionId: 's1', clientMsgId: `c${n}`, room: 'general', from: 'u1', text: 'x'.repeat(128), clientTs: now, serverTs: now };
  };
  try {
    let cpu = cpuMs();
    let wall = performance.now();
    for (let i = 0; i < commits; i += 1) store.batch(() => store.appendMessage(message()));
    const singleWall = performance.now() - wall;
    const singleCpu = cpuMs() - cpu;
    const batches = Math.max(1, Math.round(commits / 5));
    cpu = cpuMs();
    wall = performance.now();
    for (let b = 0; b < batches; b += 1) store.batch(() => { for (let i = 0; i < 50; i += 1) store.appendMessage(message()); });
    const batchWall = performance.now() - wall;
    const batchCpu = cpuMs() - cpu;
    return {
      commitsPerSecondOneMessageEach: Math.round((commits / singleWall) * 1000),
      cpuMsPerCommitOneMessage: round3(singleCpu / commits),
      messagesPerSecondBatchesOf50: Math.round(((batches * 50) / batchWall) * 1000),
      cpuMsPerMessageBatchesOf50: round3(batchCpu / (batches * 50)),
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Erlang VM's own count of its memory, in MB. It counts what its allocators reserved, which
 * for connections (TCP buffers reserved, little touched) came out far above the RSS growth (3.9
 * MB against 89 KB a connection on 2026-12-02): the capacity model uses the RSS figures.
 */
function erlangMemoryMb(node: PrivateNode): number {
  const out = execFileSync('rabbitmqctl', ['-n', node.name, 'eval', 'erlang:memory(total).'], { encoding: 'utf8', timeout: 60_000 });
  return Number(out.trim()) / 1024 / 1024;
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 3000));
}

async function measureBroker(node: PrivateNode, sizes: Sizes): Promise<Record<string, number>> {
  const rss = (): number => (node.pid === undefined ? 0 : (sampleProcess(node.pid)?.rssMb ?? 0));
  const brokerCpu = (): number => (node.pid === undefined ? 0 : (sampleProcess(node.pid)?.cpuMs ?? 0));
  await settle();
  const base = { erlang: erlangMemoryMb(node), rss: rss() };

  const connections: ChannelModel[] = [];
  await forEachLimited(sizes.connections, 20, async () => {
    const connection = await amqplib.connect(node.url);
    connections.push(connection);
    await connection.createChannel();
  });
  await settle();
  const withConnections = { erlang: erlangMemoryMb(node), rss: rss() };
  for (const connection of connections.splice(0)) await connection.close().catch(() => undefined);
  await settle();
  const afterClose = { erlang: erlangMemoryMb(node), rss: rss() };

  // Queues as a client's: exclusive, bound to a room's key on a topic exchange, with a consumer.
  const owner = await amqplib.connect(node.url);
  try {
    const channel = await owner.createChannel();
    await channel.assertExchange('unit.events', 'topic', { durable: false, autoDelete: true });
    let received = 0;
    let onReceived: () => void = () => undefined;
    for (let q = 0; q < sizes.queues; q += 1) {
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await channel.bindQueue(queue, 'unit.events', 'room.general');
      await channel.consume(queue, () => {
        received += 1;
        onReceived();
      }, { noAck: true });
    }
    await settle();
    const withQueues = { erlang: erlangMemoryMb(node), rss: rss() };

    const expected = sizes.queues * sizes.fanoutMessages;
    const everyone = new Promise<void>((resolve) => {
      onReceived = () => {
        if (received >= expected) resolve();
      };
    });
    const cpuBefore = brokerCpu();
    const began = performance.now();
    const body = Buffer.from('x'.repeat(256));
    for (let m = 0; m < sizes.fanoutMessages; m += 1) {
      channel.publish('unit.events', 'room.general', body);
      if (m % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.race([everyone, new Promise((resolve) => setTimeout(resolve, 120_000))]);
    const wall = performance.now() - began;
    const cpu = brokerCpu() - cpuBefore;
    return {
      baseErlangMb: round3(base.erlang),
      baseRssMb: base.rss,
      erlangKbPerConnection: round3(((withConnections.erlang - base.erlang) * 1024) / sizes.connections),
      rssKbPerConnection: round3(((withConnections.rss - base.rss) * 1024) / sizes.connections),
      erlangKbPerQueue: round3(((withQueues.erlang - afterClose.erlang) * 1024) / sizes.queues),
      rssKbPerQueue: round3(((withQueues.rss - afterClose.rss) * 1024) / sizes.queues),
      fanoutDeliveries: received,
      fanoutDeliveriesPerSecond: Math.round((received / wall) * 1000),
      brokerCpuMsPer1000Deliveries: round3((cpu / Math.max(1, received)) * 1000),
    };
  } finally {
    await owner.close().catch(() => undefined);
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

async function main(): Promise<void> {
  const sizes = new Command('warren-unit-costs')
    .option('--connections <n>', 'bare connections opened at once', (v) => Number(v), 1000)
    .option('--queues <n>', 'exclusive queues with a binding and a consumer', (v) => Number(v), 2000)
    .option('--fanout-messages <n>', 'messages published to all the queues', (v) => Number(v), 200)
    .option('--commits <n>', 'store commits of one message each', (v) => Number(v), 3000)
    .parse()
    .opts<Sizes>();
  for (const [key, value] of Object.entries(sizes)) if (!Number.isInteger(value) || value < 1) throw new Error(`--${key} must be a whole number ≥ 1`);
  process.on('exit', killAllPrivateNodes);
  const store = measureStore(sizes.commits);
  const node = await startPrivateNode({ prefix: 'warren-unit-costs', openFiles: 20_000 });
  try {
    const broker = await measureBroker(node, sizes);
    process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), sizes, store, broker }, null, 2)}\n`);
  } finally {
    await node.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`unit-costs failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
