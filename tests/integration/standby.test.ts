import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { OPEN_MODE_ENV, amqpUrl } from '../support/broker.js';
import { ROOT, runProgram, type Program } from '../support/programs.js';
import { waitFor } from '../support/wait.js';

/** What a client container runs while idle (`npm run client:standby`, see docker-compose.yml). */
const STANDBY = join(ROOT, 'dist', 'client', 'standby.js');
const READY = 'warren client container ready';

describe('client standby', () => {
  const started: Program[] = [];
  const start = (env: Record<string, string>): Program => {
    const program = runProgram(STANDBY, [], env);
    started.push(program);
    return program;
  };

  afterEach(async () => {
    for (const program of started.splice(0)) {
      if (program.child.exitCode === null && program.child.signalCode === null) {
        program.child.kill('SIGKILL');
        await program.exited;
      }
    }
  });

  it('says it is ready once the broker answers, and exits 0 on SIGTERM', async () => {
    const standby = start({ AMQP_URL: amqpUrl(), WARREN_NAMESPACE: 'standby-test' });
    await waitFor(() => standby.stdout().includes(READY) || standby.child.exitCode !== null, () => `the ready line; stderr:\n${standby.stderr()}`);
    expect(standby.stdout()).toMatch(/ready .*namespace standby-test.*run `warren` to chat/);
    expect(standby.stdout()).not.toMatch(/guest:guest@/);
    standby.child.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
    expect(standby.stderr()).toContain('SIGTERM received; standby stopped');
  });

  it('exits 0 on SIGINT as well', async () => {
    const standby = start({ AMQP_URL: amqpUrl() });
    await waitFor(() => standby.stdout().includes(READY) || standby.child.exitCode !== null, () => `the ready line; stderr:\n${standby.stderr()}`);
    standby.child.kill('SIGINT');
    expect(await standby.exited).toBe(0);
  });

  it('keeps retrying with backoff while the broker is unreachable, saying so, and still stops on SIGTERM', async () => {
    const standby = start({ AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' });
    await waitFor(() => /attempt 2\b.*retrying in/.test(standby.stderr()) || standby.child.exitCode !== null, () => `two retries; stderr:\n${standby.stderr()}`);
    expect(standby.child.exitCode).toBeNull();
    expect(standby.stderr()).toMatch(/waiting for the broker at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1 \(attempt 1: .*ECONNREFUSED.*\); retrying in [\d.]+ s/);
    expect(standby.stdout()).not.toContain(READY);
    standby.child.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
  });

  it('gives up at once, exit code 1, when the broker refuses the credentials', async () => {
    const url = new URL(amqpUrl());
    url.username = 'warren-nobody';
    url.password = 'wrong';
    const standby = start({ AMQP_URL: url.toString() });
    expect(await standby.exited).toBe(1);
    expect(standby.stderr()).toContain('BROKER_ACCESS_REFUSED');
    expect(standby.stderr()).not.toContain('wrong@');
  });

  it('refuses an invalid AMQP_URL with exit code 2', async () => {
    const standby = start({ AMQP_URL: 'http://example.invalid' });
    expect(await standby.exited).toBe(2);
    expect(standby.stderr()).toContain('CONFIG_INVALID');
  });

  it('stops gracefully through `npm run client:standby`, the way the container runs it', async () => {
    // The image runs npm scripts with bash (NPM_CONFIG_SCRIPT_SHELL in the Dockerfile), so npm's
    // forwarded SIGTERM reaches node itself instead of only the shell in between.
    const child = spawn('npm', ['run', 'client:standby'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NPM_CONFIG_SCRIPT_SHELL: '/bin/bash', AMQP_URL: amqpUrl(), ...OPEN_MODE_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a failed test can remove npm and node together.
      detached: true,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const exited = new Promise<number | string>((resolveExit) => child.on('exit', (code, signal) => resolveExit(code ?? signal ?? -1)));
    try {
      await waitFor(() => out.includes(READY) || child.exitCode !== null, () => `the ready line; stderr:\n${err}`, 20_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(err).toContain('SIGTERM received; standby stopped');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* the group is empty: npm and node have both exited */
      }
    }
  });
});
