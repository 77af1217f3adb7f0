import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FailoverResult } from '../../bench/coordinators-failover.js';
import type { ThroughputRun } from '../../bench/coordinators-throughput.js';
import { amqpUrl } from '../support/broker.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'bench', 'coordinators.js');

/** `npm run bench:coordinators` at the smallest size, SQLite only, one failover trial: it must run to the end; figures are never asserted. */
const TINY = ['--stores', 'sqlite', '--coordinators', '1,2', '--rounds', '1', '--n', '240', '--warmup', '1', '--partitions', '4', '--trials', '1', '--json'];

/** Longer than any run seen (22–27 s); past it the run is stopped and its progress lines shown. */
const RUN_LIMIT_MS = 150_000;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', AMQP_URL: amqpUrl() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolveRun, reject) => {
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench:coordinators still running after ${RUN_LIMIT_MS} ms; its last lines:\n${stderr.slice(-4000)}`));
    }, RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(limit);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('bench:coordinators at the smallest size', () => {
  it('refuses a bad flag before starting anything', async () => {
    const result = await run(['--coordinators', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--coordinators');
    expect(result.stdout).toBe('');
  });

  it('measures 1 and 2 coordinators on SQLite and one failover, printing both tables; nothing lost or doubled', async () => {
    expect(existsSync(MAIN)).toBe(true);
    const result = await run(TINY);
    if (result.code !== 0) throw new Error(`bench:coordinators exited ${result.code}\n${result.stderr}`);
    expect(result.stdout).toContain('## Throughput');
    expect(result.stdout).toContain('## Failover');
    const json = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { throughput: ThroughputRun[]; failover: FailoverResult };
    expect(json.throughput.map((entry) => [entry.store, entry.coordinators, entry.sent, entry.refused])).toEqual([
      ['sqlite', 1, 240, 0],
      ['sqlite', 2, 240, 0],
    ]);
    expect(json.throughput[1]?.servedShare.reduce((sum, served) => sum + served, 0)).toBe(240);
    const failover = json.failover;
    expect(failover.trials).toHaveLength(1);
    expect(failover.trials[0]?.itsClients).toBeGreaterThan(0);
    expect(failover.trials[0]?.allAcceptedMs).toBeGreaterThanOrEqual(0);
    expect({ accepted: failover.accepted, stored: failover.stored, logged: failover.logged, repeated: failover.logLinesRepeated }).toEqual({ accepted: failover.sent, stored: failover.sent, logged: failover.sent, repeated: 0 });
    expect(failover.trials.map((trial) => [trial.lost, trial.doubled, trial.unseen])).toEqual([[0, 0, 0]]);
  }, RUN_LIMIT_MS + 30_000);
});
