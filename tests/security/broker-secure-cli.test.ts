import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { Authority } from '../../server/authority/authority.js';
import { amqpUrlWithCredentials, mintClientCredentials } from '../../shared/broker-identity.js';
import { freePort, PrivateBroker } from '../support/private-broker.js';

/** `npm run broker:secure` (dist/server/broker/secure-node.js): start, log in through an authority, stop. */

const SCRIPT = join(import.meta.dirname, '..', '..', 'dist', 'server', 'broker', 'secure-node.js');
const describeBroker = PrivateBroker.available() ? describe : describe.skip;
const dir = mkdtempSync(join(tmpdir(), 'warren-secure-cli-'));
let args: string[] = [];

function cli(extra: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('node', [SCRIPT, ...args, ...extra], { timeout: 150_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

afterAll(async () => {
  if (args.length > 0) await cli(['--stop']);
  rmSync(dir, { recursive: true, force: true });
}, 90_000);

describeBroker('npm run broker:secure', () => {
  it('refuses a bad port before doing anything', async () => {
    args = [];
    const bad = await cli(['--port', 'abc']);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/port/);
  });

  it('starts a node that asks the authority, says so, and stops it', async () => {
    const [port, managementPort, prometheusPort, authorityPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    args = ['--port', String(port), '--management-port', String(managementPort), '--prometheus-port', String(prometheusPort), '--authority-port', String(authorityPort), '--dir', dir];
    const started = await cli([]);
    expect(started.out).toContain(`Secure broker ready: amqp://127.0.0.1:${port}`);
    expect((await cli([])).out).toContain('already runs');

    const base = `amqp://127.0.0.1:${port}`;
    const me = mintClientCredentials();
    // No authority yet: refused (fails closed).
    await expect(amqplib.connect(amqpUrlWithCredentials(base, me.clientId, me.secret))).rejects.toThrow();
    const authority = await Authority.start({ namespace: 'cli', amqpUrl: base, port: authorityPort });
    try {
      await authority.ready();
      const connection = await amqplib.connect(amqpUrlWithCredentials(base, me.clientId, me.secret));
      await connection.close();
      await expect(amqplib.connect(amqpUrlWithCredentials(base, 'guest', 'guest'))).rejects.toThrow(/ACCESS[-_]REFUSED|403/);
    } finally {
      await authority.stop();
    }
    const stopped = await cli(['--stop']);
    expect(stopped.out).toContain('Stopped');
    expect((await cli(['--stop'])).out).toContain('No secure broker runs');
    args = [];
  }, 180_000);
});
