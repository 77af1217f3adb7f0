import { existsSync } from 'node:fs';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Headless without a sandbox (tests and benchmarks run as root), and none of Chromium's background
 * traffic, which on a closed network is a flood of refused connections. The browser tests use the same.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumInstalled(path = DEFAULT_CHROMIUM_PATH): boolean {
  return existsSync(path);
}
