import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import pg from 'pg';
import { deleteSecureTopology, secureTopologyFor } from '../shared/secure-topology.js';
import type { SharedStore } from './coordinators-options.js';
import { benchNamespace } from './namespace.js';
import { SERVER_MAIN, startProgram, type ChildProgram } from './programs.js';

/**
 * Several real coordinator programs of one deployment: one namespace, one store (a SQLite folder
 * they share, or a PostgreSQL schema of this fleet's own, dropped at `close`), one log folder with
 * a chat log per coordinator (`chat-<name>.log`), all in open mode with the rate limits off.
 */
export interface FleetMember {
  name: string;
  program: ChildProgram;
  logFile: string;
  metricsUrl: string;
  killed: boolean;
}

export interface FleetSpec {
  amqpUrl: string;
  postgresUrl: string;
  store: SharedStore;
  partitions: number;
}

/** The MESSAGE lines of a chat log: id → server time (ms since the epoch). */
export function servedMessages(text: string): Map<string, number> {
  const served = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\S+) MESSAGE .*? id=(\S+) /.exec(line);
    if (match?.[1] && match[2]) served.set(match[2], Date.parse(match[1]));
  }
  return served;
}

export class CoordinatorFleet {
  readonly namespace = benchNamespace('coord');
  readonly members: FleetMember[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'warren-bench-coord-'));
  private readonly schema = `bench_coord_${randomBytes(4).toString('hex')}`;
  private started = 0;

  constructor(private readonly spec: FleetSpec) {
    mkdirSync(join(this.dir, 'log'), { recursive: true });
  }

  get logDir(): string {
    return join(this.dir, 'log');
  }

  get alive(): FleetMember[] {
    return this.members.filter((member) => !member.killed);
  }

  /** Starts one more coordinator and resolves once it serves. */
  async start(): Promise<FleetMember> {
    if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run npm run build first`);
    this.started += 1;
    const name = `c${this.started}`;
    const env: Record<string, string> = {
      AMQP_URL: this.spec.amqpUrl,
      WARREN_NAMESPACE: this.namespace,
      WARREN_INSECURE_OPEN_BROKER: '1',
      WARREN_INPUT_PARTITIONS: String(this.spec.partitions),
      WARREN_DATA_DIR: join(this.dir, 'data'),
      WARREN_LOG_DIR: this.logDir,
      WARREN_CHAT_LOG_FILE: `chat-${name}.log`,
      WARREN_METRICS_PORT: '0',
      MIN_USERS: '1',
      // Load generators send far faster than people: the per-user limits would measure themselves.
      WARREN_RATE_MESSAGES: 'off',
      WARREN_RATE_ROOMS: 'off',
      WARREN_RATE_LOGINS_PER_NAME: 'off',
      WARREN_RATE_LOGINS_PER_CLIENT: 'off',
      WARREN_RATE_PASSWORD_CHECKS: 'off',
      ...(this.spec.store === 'postgres' ? { WARREN_STORE_URL: this.spec.postgresUrl, WARREN_STORE_SCHEMA: this.schema } : {}),
    };
    const program = startProgram(SERVER_MAIN, [], env);
    try {
      await program.waitFor('stderr', 'coordinator ready', 30_000);
      await program.waitFor('stderr', '(/metrics', 5_000);
    } catch (err) {
      await program.stop(1000);
      throw err;
    }
    const port = /metrics and health on http:\/\/[^:]+:(\d+)/.exec(program.stderr())?.[1];
    const member: FleetMember = { name, program, logFile: join(this.logDir, `chat-${name}.log`), metricsUrl: `http://127.0.0.1:${port ?? 0}/metrics`, killed: false };
    this.members.push(member);
    return member;
  }

  /** SIGKILL: no goodbye, its connection simply dies. */
  async kill(member: FleetMember): Promise<void> {
    member.killed = true;
    member.program.child.kill('SIGKILL');
    await member.program.exited;
  }

  /** Messages each coordinator logged: id → server time. */
  served(member: FleetMember): Map<string, number> {
    return existsSync(member.logFile) ? servedMessages(readFileSync(member.logFile, 'utf8')) : new Map();
  }

  /** Each message id's coordinator, over every log of the fleet (the dead ones' too). */
  servedBy(): Map<string, string> {
    const by = new Map<string, string>();
    for (const member of this.members) for (const id of this.served(member).keys()) by.set(id, member.name);
    return by;
  }

  /**
   * The lines the coordinators logged as errors (the tail each program keeps): a run with refusals,
   * retries or a stall says here why (a PostgreSQL deadlock, a store timeout).
   */
  errorLines(): string[] {
    return this.members.flatMap((member) =>
      member.program
        .stderr()
        .split('\n')
        .filter((line) => /\berror\b|deadlock|STORE_TIMEOUT/i.test(line))
        .map((line) => `${member.name}: ${line.slice(0, 300)}`),
    );
  }

  /** Stops every coordinator, removes the namespace's queues and exchanges, the folder and the PostgreSQL schema. */
  async close(): Promise<void> {
    for (const member of this.alive) await member.program.stop(5000);
    const connection = await amqplib.connect(this.spec.amqpUrl).catch(() => undefined);
    if (connection) {
      try {
        // Each delete on a fresh channel: a queue that is already gone must not stop the rest.
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await deleteSecureTopology(channel, secureTopologyFor(this.namespace), this.spec.partitions).catch(() => undefined);
      } finally {
        await connection.close().catch(() => undefined);
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (this.spec.store === 'postgres') await dropSchema(this.spec.postgresUrl, this.schema);
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

/** The coordinator's store-commit histogram: commits, messages in them and seconds spent, summed. */
export interface CommitCounters {
  commits: number;
  inputs: number;
  seconds: number;
}

export async function commitCounters(member: FleetMember): Promise<CommitCounters> {
  try {
    const text = await (await fetch(member.metricsUrl)).text();
    const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    return { commits: value('warren_store_commit_seconds_count'), inputs: value('warren_store_commit_batch_size_sum'), seconds: value('warren_store_commit_seconds_sum') };
  } catch {
    return { commits: 0, inputs: 0, seconds: 0 };
  }
}
