#!/usr/bin/env node
import { performance } from 'node:perf_hooks';
import amqplib, { type ChannelModel } from 'amqplib';
import { Command } from 'commander';
import { Authority } from '../server/authority/authority.js';
import { SqlIdentityDirectory } from '../server/store/identity-directory.js';
import { openStore, type StoreConfig } from '../server/store/open-store.js';
import { amqpUrlWithCredentials, mintClientCredentials } from '../shared/broker-identity.js';
import { clientQueueOptions, declareSecureTopology, deleteSecureTopology, secureTopologyFor } from '../shared/secure-topology.js';
import { summarise, type Summary } from './stats.js';

/**
 * What a broker authorization decision costs (issue 10, "Figures"); prints figures, asserts
 * nothing. Needs the node of `npm run broker:secure` (it asks the authority this script starts on
 * --authority-port) and, for comparison, a plain broker where guest is decided by RabbitMQ's own
 * internal backend. Same operations on both: the difference is the price of asking over HTTP.
 *   npm run broker:secure && npm run bench:authority
 */

const program = new Command()
  .name('bench:authority')
  .option('--secure-url <url>', 'the secure node, without credentials', 'amqp://127.0.0.1:5674')
  .option('--plain-url <url>', 'a plain broker (internal backend)', 'amqp://guest:guest@127.0.0.1:5672')
  .option('--authority-port <port>', 'where the secure node asks', '15680')
  .option('--n <count>', 'repetitions of each operation', '200')
  .option('--store <place>', 'identities in a store, as a coordinator keeps them: a SQLite data directory or a postgres:// URL (default: in memory)');
program.parse();
const opts = program.opts<{ secureUrl: string; plainUrl: string; authorityPort: string; n: string; store?: string }>();
const N = Number(opts.n);
const NS = `cost-${process.pid}`;

async function time(n: number, op: (i: number) => Promise<unknown>): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const started = performance.now();
    await op(i);
    samples.push(performance.now() - started);
  }
  return summarise(samples);
}

/** connect (user + vhost checks), declare (configure), bind (write + read [+ topic]), publish (write). */
async function operations(connect: () => Promise<ChannelModel>, queueName: (i: number) => string, exchange: string, key: string, publishTo: string): Promise<Record<string, Summary>> {
  const connections: ChannelModel[] = [];
  const connectS = await time(Math.min(N, 50), async () => {
    const c = await connect();
    connections.push(c);
    await c.close();
  });
  const connection = await connect();
  const declareS = await time(N, async (i) => {
    // A fresh channel each time: the broker caches allowed checks per channel. The same queue
    // each time (a client may own exactly one): a re-declare asks for configure all the same.
    const ch = await connection.createChannel();
    await ch.assertQueue(queueName(i), clientQueueOptions());
    await ch.close();
  });
  const bindS = await time(N, async (i) => {
    const ch = await connection.createChannel();
    await ch.bindQueue(queueName(i), exchange, key);
    await ch.close();
  });
  const publishS = await time(N, async () => {
    const ch = await connection.createConfirmChannel();
    await new Promise<void>((resolve, reject) => ch.publish(publishTo, 'chat', Buffer.from('{}'), {}, (err) => (err ? reject(err) : resolve())));
    await ch.close();
  });
  await connection.close();
  return { 'connect+close': connectS, 'channel+declare': declareS, 'channel+bind': bindS, 'channel+publish(confirm)': publishS };
}

function storeConfig(place: string): StoreConfig {
  return /^postgres(ql)?:\/\//.test(place) ? { engine: 'postgres', url: place, schema: `bench_${process.pid}` } : { engine: 'sqlite', dataDir: place };
}

async function main(): Promise<void> {
  const store = opts.store === undefined ? undefined : openStore(storeConfig(opts.store));
  const authority = await Authority.start({
    namespace: NS,
    amqpUrl: opts.secureUrl,
    port: Number(opts.authorityPort),
    maxConnectionsPerClient: 1000,
    ...(store ? { directory: new SqlIdentityDirectory(store.database) } : {}),
  });
  console.log(`identities: ${opts.store === undefined ? 'in memory' : `in the store at ${opts.store}`}`);
  try {
    await authority.ready();
    const topology = secureTopologyFor(NS);
    const admin = await amqplib.connect(authority.coordinatorUrl);
    const adminChannel = await admin.createChannel();
    await declareSecureTopology(adminChannel, topology);
    const me = mintClientCredentials();
    const meUrl = amqpUrlWithCredentials(opts.secureUrl, me.clientId, me.secret);
    // Register and bind the id as a login would.
    await (await amqplib.connect(meUrl)).close();
    authority.bind(me.clientId, 'bench');
    const secure = await operations(() => amqplib.connect(meUrl), () => topology.clientQueue(me.clientId), topology.eventsExchange, 'room.general', topology.inputExchange);

    const plain = await amqplib.connect(opts.plainUrl);
    const plainChannel = await plain.createChannel();
    await plainChannel.assertExchange(`${NS}.events`, 'topic', { durable: false, autoDelete: true });
    await plainChannel.assertExchange(`${NS}.input`, 'direct', { durable: false, autoDelete: true });
    const internal = await operations(() => amqplib.connect(opts.plainUrl), () => `${NS}.plain.q`, `${NS}.events`, 'room.general', `${NS}.input`);
    await plainChannel.deleteExchange(`${NS}.events`);
    await plainChannel.deleteExchange(`${NS}.input`);
    await plain.close();

    await deleteSecureTopology(adminChannel, topology);
    await admin.close();

    console.log(`Cost of broker decisions (ms per operation, n=${N}; connect n=${Math.min(N, 50)})`);
    console.log('operation                  | http authority p50 / p99 | internal backend p50 / p99 | extra p50');
    for (const [op, s] of Object.entries(secure)) {
      const p = internal[op];
      if (!p) continue;
      console.log(`${op.padEnd(26)} | ${`${s.p50} / ${s.p99}`.padEnd(24)} | ${`${p.p50} / ${p.p99}`.padEnd(26)} | ${(s.p50 - p.p50).toFixed(2)}`);
    }
    console.log('\nInside the authority (time to decide, excluding HTTP and the broker):');
    for (const [path, s] of Object.entries(authority.stats())) {
      if (s.count === 0) continue;
      console.log(`  /auth/${path.padEnd(8)} ${String(s.count).padStart(6)} calls, mean ${(s.totalMicros / s.count).toFixed(1)} µs, max ${s.maxMicros} µs`);
    }
  } finally {
    await authority.stop();
    if (store?.database.dialect === 'postgres') store.database.exec(`DROP SCHEMA IF EXISTS bench_${process.pid} CASCADE`);
    store?.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
