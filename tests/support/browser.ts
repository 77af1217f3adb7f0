import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_FLAGS, DEFAULT_CHROMIUM_PATH } from '../../bench/chromium.js';
import { ROOT } from './programs.js';

export { CHROMIUM_FLAGS };

/** Debian's Chromium, or the one WARREN_CHROMIUM_PATH names. */
export const CHROMIUM_PATH = process.env.WARREN_CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH;

/** Screenshots and other things a person may want to look at after a run (gitignored). */
export const ARTIFACTS_DIR = join(ROOT, 'tests', 'artifacts', 'browser');

/**
 * Whether the browser tests can run here. Without Chromium they are skipped with the reason, unless
 * WARREN_REQUIRE_CHROMIUM=1 (CI sets it), when its absence is a failure.
 */
export function chromiumAvailability(): { available: true } | { available: false; reason: string } {
  if (existsSync(CHROMIUM_PATH)) return { available: true };
  const reason = `SKIPPED: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`;
  if (process.env.WARREN_REQUIRE_CHROMIUM === '1') throw new Error(`${reason}, and WARREN_REQUIRE_CHROMIUM=1 requires it`);
  process.stderr.write(`${reason}\n`);
  return { available: false, reason };
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, headless: true });
}
