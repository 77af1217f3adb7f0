#!/usr/bin/env node
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { rewriteBrokerConfig } from './broker-config.js';

/**
 * `npm run broker:secure`: a local RabbitMQ node configured like the compose deployment
 * (broker/rabbitmq.conf, broker/enabled_plugins), for running warren in secure mode without
 * Docker. It asks the authority at 127.0.0.1:<authority port> (the coordinator serves it), so no
 * login works until a coordinator runs. `--stop` stops it. Its data stays in `--dir`.
 */

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

const program = new Command()
  .name('broker:secure')
  .description('Start (or --stop) a private RabbitMQ node configured for warren secure mode')
  .option('--stop', 'stop the node started before')
  .option('--port <port>', 'AMQP port', port, 5674)
  .option('--management-port <port>', 'management UI port', port, 15673)
  .option('--prometheus-port <port>', 'Prometheus metrics port', port, 15693)
  .option('--authority-port <port>', 'where the coordinator serves the authority (WARREN_AUTHORITY_PORT)', port, 15680)
  .option('--dir <path>', 'data directory (default: <tmp>/warren-secure-broker-<port>)');

program.parse();
const opts = program.opts<{ stop?: boolean; port: number; managementPort: number; prometheusPort: number; authorityPort: number; dir?: string }>();
const dir = opts.dir ?? join(tmpdir(), `warren-secure-broker-${opts.port}`);
const nodeName = `warren-secure-${opts.port}@localhost`;
const pidFile = join(dir, 'rabbitmq.pid');
// Passed through `env` so the node inherits this environment plus these (entry points of server/ do not read process.env).
const nodeEnv = [
  `RABBITMQ_NODENAME=${nodeName}`,
  'RABBITMQ_NODE_IP_ADDRESS=127.0.0.1',
  `RABBITMQ_NODE_PORT=${opts.port}`,
  // Erlang distribution beside AMQP, 20000 ports away, within the port range whatever the AMQP port.
  `RABBITMQ_DIST_PORT=${opts.port + 20000 <= 65_535 ? opts.port + 20000 : opts.port - 20000}`,
  `RABBITMQ_MNESIA_BASE=${join(dir, 'mnesia')}`,
  `RABBITMQ_LOG_BASE=${join(dir, 'log')}`,
  `RABBITMQ_PID_FILE=${pidFile}`,
  `RABBITMQ_CONFIG_FILE=${join(dir, 'rabbitmq.conf')}`,
  `RABBITMQ_ENABLED_PLUGINS_FILE=${join(dir, 'enabled_plugins')}`,
];

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('env', [...nodeEnv, command, ...args], { timeout: timeoutMs, cwd: dir }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

function alive(): boolean {
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

async function start(): Promise<void> {
  const amqpUrl = `amqp://127.0.0.1:${opts.port}`;
  if (alive()) {
    console.log(`The secure broker already runs: ${amqpUrl} (node ${nodeName}, data in ${dir}).`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  // Started as root, rabbitmq-server re-runs itself as the rabbitmq user, which must write here.
  chmodSync(dir, 0o777);
  const config = rewriteBrokerConfig(readFileSync(join(REPO, 'broker', 'rabbitmq.conf'), 'utf8'), {
    host: '127.0.0.1',
    amqpPort: opts.port,
    managementPort: opts.managementPort,
    prometheusPort: opts.prometheusPort,
    authorityOrigin: `http://127.0.0.1:${opts.authorityPort}`,
    definitionsFile: join(REPO, 'broker', 'definitions.json'),
  });
  writeFileSync(join(dir, 'rabbitmq.conf'), config, { mode: 0o644 });
  writeFileSync(join(dir, 'enabled_plugins'), readFileSync(join(REPO, 'broker', 'enabled_plugins'), 'utf8'), { mode: 0o644 });
  console.log(`Starting RabbitMQ node ${nodeName} (data in ${dir}) ...`);
  await run('rabbitmq-server', ['-detached'], 60_000);
  await run('rabbitmqctl', ['-n', nodeName, 'wait', pidFile, '--timeout', '90'], 120_000);
  console.log(
    [
      `Secure broker ready: ${amqpUrl}`,
      `  management UI: http://127.0.0.1:${opts.managementPort}/ (operator login only when the coordinator has WARREN_BROKER_ADMIN_PASSWORD)`,
      `  every login and permission is decided by the authority at http://127.0.0.1:${opts.authorityPort}/auth/...,`,
      '  served by the coordinator: until it runs, every login is refused.',
      `  stop it with: npm run broker:secure -- --stop${opts.port === 5674 ? '' : ` --port ${opts.port}`}`,
    ].join('\n'),
  );
}

async function stop(): Promise<void> {
  if (!existsSync(pidFile) || !alive()) {
    console.log(`No secure broker runs on port ${opts.port}.`);
    return;
  }
  await run('rabbitmqctl', ['-n', nodeName, 'stop', pidFile], 60_000);
  console.log(`Stopped ${nodeName} (its data stays in ${dir}).`);
}

(opts.stop ? stop() : start()).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
