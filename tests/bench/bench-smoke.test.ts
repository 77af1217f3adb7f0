import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromiumInstalled } from '../../bench/chromium.js';
import { benchResultSchema } from '../../bench/result.js';
import { amqpUrl } from '../support/broker.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BENCH_MAIN = join(ROOT, 'dist', 'bench', 'main.js');

/** The size CI runs the benchmark at (package.json "bench:ci"); figures are never asserted. */
const TINY = ['--n', '200', '--k', '3', '--clients', '50', '--startup-runs', '1', '--cpu-prof'];

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BENCH_MAIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', AMQP_URL: amqpUrl() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolveRun({ code, stdout, stderr }));
  });
}

describe('benchmark at CI size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('completes and writes JSON with every section', async () => {
    expect(existsSync(BENCH_MAIN)).toBe(true);
    const out = join(dir, 'result.json');
    const run = await runBench([...TINY, '--out', out, '--results-dir', dir]);
    if (run.code !== 0) throw new Error(`bench exited ${run.code}\n${run.stderr}`);

    const result = benchResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(result.errors).toEqual([]);
    expect(result.messaging?.phases.map((phase) => phase.name)).toEqual(['throughput', 'rate-500', 'rate-1000']);
    for (const phase of result.messaging?.phases ?? []) {
      expect(phase.ceiling.expectedDeliveries).toBe(200 * 3);
      expect(phase.warren.expectedDeliveries).toBe(200 * 3);
    }
    expect(result.scale?.requested).toBe(50);
    expect(result.startup?.runs).toBe(1);
    // The terminal client's time to its name prompt is measured (through a pseudo-terminal) and printed.
    expect(result.startup?.clientPromptMs?.p50).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/client in a terminal: spawn → name prompt\s+[\d.]+ ms/);
    expect(result.profile?.byComponent.length).toBeGreaterThan(0);
    expect(result.targets.map((target) => target.id)).toEqual(['throughput', 'p99-at-1000', 'join', 'rss', 'name-prompt']);
    expect(run.stdout).toContain('targets');
    // The web section runs by default where Chromium is installed (CI installs it), and only there.
    if (chromiumInstalled()) {
      expect(result.web?.terminalToBrowserMs.count).toBe(100);
      expect(run.stdout).toMatch(/one message, terminal user → browser \(100\)\s+[\d.]+ \/ /);
    } else expect(result.web).toBeNull();
  }, 300_000);
});
