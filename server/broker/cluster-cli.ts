#!/usr/bin/env node
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { RabbitCluster, runningNodeNames } from './rabbit-cluster.js';

/**
 * `npm run cluster -- start|stop|status`: a three-node RabbitMQ cluster on loopback (ports 5701,
 * 5702, 5703 by default; Erlang distribution on 25701–25703), to try warren's failover by hand:
 * give AMQP_URL every node, kill one (`kill -9 $(cat <dir>/node-0/rabbitmq.pid)`) and watch the
 * programs move to another.
 */
function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1024 || n > 65_533) throw new InvalidArgumentError('must be a port number from 1024 to 65533');
  return n;
}

const program = new Command('warren-cluster')
  .description('Start, stop or show a three-node RabbitMQ cluster on loopback for trying warren failover')
  .argument('<action>', 'start, stop or status')
  .option('--base-port <port>', 'AMQP port of the first node; the others follow it', port, 5701)
  .option('--dir <path>', 'where the nodes keep their files (default: <tmp>/warren-cluster-<base port>)')
  .parse();

const opts = program.opts<{ basePort: number; dir?: string }>();
const action = program.args[0];
const ports = [0, 1, 2].map((i) => opts.basePort + i);
const dir = opts.dir ?? join(tmpdir(), `warren-cluster-${opts.basePort}`);
const cluster = new RabbitCluster({ dir, ports, prefix: 'warren-cluster', baseEnv: process.env });

function describeNodes(): string {
  const running = runningNodeNames();
  return cluster.nodes.map((node) => `  ${node.name}  ${node.url}  ${running.includes(node.name.split('@')[0] ?? '') ? 'running' : 'not running'}  (pid file ${node.pidFile})`).join('\n');
}

async function main(): Promise<void> {
  if (action === 'start') {
    console.log(`Starting a three-node cluster in ${dir} (about 20 s) ...`);
    await cluster.start();
    console.log(`Cluster ready:\n${describeNodes()}\n\nGive every program all three nodes:\n  AMQP_URL=${cluster.urls()}\nStop it with: npm run cluster -- stop${opts.basePort === 5701 ? '' : ` --base-port ${opts.basePort}`}`);
  } else if (action === 'stop') {
    cluster.stop();
    console.log(`Killed the nodes and removed ${dir}.`);
  } else if (action === 'status') {
    console.log(describeNodes());
  } else {
    throw new Error(`unknown action ${JSON.stringify(action)}: start, stop or status`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
