import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { parseServerSettings } from '../../server/config.js';
import { ROOT } from '../support/programs.js';

/** The compose override that turns legacy mode on, checked without a Docker engine. */
const run = promisify(execFile);
const OVERRIDE = join(ROOT, 'docker-compose.legacy.yml');

interface Service {
  environment?: Record<string, string>;
}

describe('docker-compose.legacy.yml', () => {
  it('only turns legacy mode on in the server, in a form the server reads as on', () => {
    const override = parse(readFileSync(OVERRIDE, 'utf8')) as { services: Record<string, Service> };
    expect(Object.keys(override.services)).toEqual(['server']);
    expect(override.services.server).toEqual({ environment: { WARREN_LEGACY: '1' } });
    expect(parseServerSettings([], override.services.server?.environment ?? {}).legacy).toBe(true);
  });

  it('merges onto docker-compose.yml, keeping the server\'s own environment', async () => {
    let compose: string[] | undefined;
    for (const candidate of [['docker-compose'], ['docker', 'compose']]) {
      try {
        await run(candidate[0]!, [...candidate.slice(1), 'version'], { timeout: 30_000 });
        compose = candidate;
        break;
      } catch {
        /* try the next one */
      }
    }
    if (!compose) return; // no compose on this machine: the first test still checks the file
    const { stdout } = await run(compose[0]!, [...compose.slice(1), '-f', join(ROOT, 'docker-compose.yml'), '-f', OVERRIDE, 'config'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      timeout: 60_000,
    });
    const merged = parse(stdout) as { services: Record<string, Service> };
    expect(merged.services.server?.environment).toMatchObject({ WARREN_LEGACY: '1', AMQP_URL: expect.stringContaining('rabbitmq') });
    expect(merged.services.client?.environment?.WARREN_LEGACY).toBeUndefined();
  });

  it('names the network legacy clients join as docker-compose.yml names it, whatever the folder is called', () => {
    const base = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { networks?: { default?: { name?: string } } };
    const dotenv = readFileSync(join(ROOT, '.env'), 'utf8');
    const network = /^WARREN_NETWORK=(\S+)$/m.exec(dotenv)?.[1];
    expect(base.networks?.default?.name).toBe('${WARREN_NETWORK:-warren}');
    expect(network).toBe('warren');
    // The advice in the override's header names that network, not `<folder>_default`.
    const advice = readFileSync(OVERRIDE, 'utf8');
    expect(advice).toContain(`--network ${network}`);
    expect(advice).not.toMatch(/_default/);
  });
});
