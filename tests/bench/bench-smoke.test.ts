import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromiumInstalled } from '../../bench/chromium.js';
import { benchResultSchema } from '../../bench/result.js';
import { amqpUrl } from '../support/broker.js';
import { waitFor } from '../support/wait.js';
import { PrivateBroker } from '../support/private-broker.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BENCH_MAIN = join(ROOT, 'dist', 'bench', 'main.js');

/** The size CI runs the benchmark at (package.json "bench:ci"); figures are never asserted. */
const TINY = ['--n', '200', '--k', '3', '--rounds', '1', '--clients', '50', '--room-members', '20', '--room-messages', '5', '--startup-runs', '1', '--cpu-prof'];

// The big room starts a private RabbitMQ node: without rabbitmq-server (a laptop with only Docker)
// it is left out, loudly, unless WARREN_REQUIRE_PRIVATE_BROKER=1 says this machine must run it.
const bigRoom = PrivateBroker.available() || process.env.WARREN_REQUIRE_PRIVATE_BROKER === '1';
if (!bigRoom) process.stdout.write('\n[bench] big room SKIPPED: rabbitmq-server/rabbitmqctl not found; it needs a private node\n');
// The web section needs Chromium: it runs where Chromium is installed (CI installs it), and only there.
const SECTIONS = ['--sections', ['messaging', ...(bigRoom ? ['bigroom'] : []), 'scale', 'startup', ...(chromiumInstalled() ? ['web'] : [])].join(',')];

interface BenchRun {
  child: ChildProcess;
  stderr(): string;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

function startBench(args: string[]): BenchRun {
  const child = spawn(process.execPath, [BENCH_MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', AMQP_URL: amqpUrl() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolveRun, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
  return { child, stderr: () => stderr, done };
}

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return startBench(args).done;
}

/** Short names of the Erlang nodes running on this machine. */
function runningNodes(): string[] {
  const out = spawnSync('epmd', ['-names'], { encoding: 'utf8' }).stdout ?? '';
  return [...out.matchAll(/^name (\S+) at port/gm)].map((match) => match[1] ?? '');
}

describe('benchmark at CI size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('completes and writes JSON with every section', async () => {
    expect(existsSync(BENCH_MAIN)).toBe(true);
    const out = join(dir, 'result.json');
    const run = await runBench([...TINY, ...SECTIONS, '--out', out, '--results-dir', dir]);
    if (run.code !== 0) throw new Error(`bench exited ${run.code}\n${run.stderr}`);

    const result = benchResultSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(result.errors).toEqual([]);
    expect(result.messaging?.phases.map((phase) => phase.name)).toEqual(['throughput', 'rate-500', 'rate-1000']);
    for (const phase of result.messaging?.phases ?? []) {
      // The per-message relay, the batched relay (whose batches the raw clients unpack) and warren: every delivery arrives once.
      for (const system of [phase.ceiling, phase.batched, phase.warren]) {
        expect(system.expectedDeliveries).toBe(200 * 3);
        expect({ system: system.system, missing: system.missing, duplicates: system.duplicates }).toEqual({ system: system.system, missing: 0, duplicates: 0 });
      }
    }
    expect(result.messaging?.noDelay).toBe(true);
    if (bigRoom) {
      const room = result.bigRoom;
      expect(room?.systems.map((system) => [system.system, system.joined, system.reachedAll, system.missing])).toEqual([
        ['ceiling', 20, 5, 0],
        ['batched', 20, 5, 0],
        ['warren', 20, 5, 0],
      ]);
      // The node got the open-file limit asked for, above the shared broker's 1024.
      expect(room?.node.openFiles).toBe(room?.node.openFilesRequested);
      expect(run.stdout).toMatch(/big room: 20 members/);
      // Stopped at the end, its folder removed.
      expect(runningNodes()).not.toContain(room?.node.name.split('@')[0]);
      const dataDir = /data in (\S+)/.exec(run.stderr)?.[1];
      expect(dataDir && existsSync(dataDir)).toBe(false);
    }
    expect(result.scale?.requested).toBe(50);
    expect(result.scale?.joined).toBe(50);
    // The memory of the coordinator and the broker is noted at each milestone up to C.
    expect(result.scale?.milestones.map((m) => m.joined)).toEqual([50]);
    if (bigRoom) {
      // The scale phase ran on a private node of its own with the limit asked for, stopped at the end.
      const node = result.scale?.node;
      expect(node?.openFiles).toBe(node?.openFilesRequested);
      expect(result.scale?.broker.rssAfterJoinMb).toBeGreaterThan(0);
      expect(runningNodes()).not.toContain(node?.name.split('@')[0]);
    }
    expect(result.startup?.runs).toBe(1);
    // The terminal client's time to its name prompt is measured (through a pseudo-terminal) and printed.
    expect(result.startup?.clientPromptMs?.p50).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/client in a terminal: spawn → name prompt\s+[\d.]+ ms/);
    expect(result.profile?.byComponent.length).toBeGreaterThan(0);
    expect(result.targets.map((target) => target.id)).toEqual([
      'throughput',
      'p99-at-1000',
      'coordinator-cpu',
      'throughput-vs-batched',
      'p99-at-1000-vs-batched',
      'big-room',
      'join',
      'rss',
      'name-prompt',
    ]);
    expect(run.stdout).toContain('targets');
    // The charts beside the JSON: a latency distribution of the three systems for each phase, the scale phase over time.
    const html = readFileSync(join(dir, 'result.html'), 'utf8');
    expect(run.stdout).toContain(`HTML: ${join(dir, 'result.html')}`);
    for (const phase of ['throughput', 'rate-500', 'rate-1000']) expect(html).toContain(`latency distribution: ${phase}`);
    expect(html.match(/<path class="series" data-series="(ceiling|batched relay|warren) \(p99/g)).toHaveLength(9);
    expect(html).toContain('data-series="joined"');
    for (const phase of result.messaging?.phases ?? []) expect(phase.warren.latencyCdfMs).toHaveLength(101);
    expect(result.scale?.timeline.length).toBeGreaterThan(1);
    // The web section runs by default where Chromium is installed (CI installs it), and only there.
    if (chromiumInstalled()) {
      expect(result.web?.terminalToBrowserMs.count).toBe(100);
      expect(run.stdout).toMatch(/one message, terminal user → browser \(100\)\s+[\d.]+ \/ /);
    } else expect(result.web).toBeNull();
  }, 300_000);

  (bigRoom ? it : it.skip)('stops its private node and removes its folder when interrupted (SIGINT) in the big room', async () => {
    const run = startBench(['--sections', 'bigroom', '--room-members', '20', '--room-messages', '5', '--out', join(dir, 'interrupted.json'), '--results-dir', dir]);
    const up = await waitFor(() => /private node (\S+)@localhost up .* data in (\S+)/.exec(run.stderr()) ?? undefined, () => `the private node to start; stderr: ${run.stderr()}`, 120_000);
    const [, shortName, dataDir] = up;
    expect(runningNodes()).toContain(shortName);
    run.child.kill('SIGINT');
    const exit = await run.done;
    expect(exit.code).toBe(130);
    await waitFor(() => !runningNodes().includes(shortName ?? ''), `node ${shortName ?? ''} to be gone`, 15_000);
    expect(existsSync(dataDir ?? '')).toBe(false);
  }, 180_000);
});
