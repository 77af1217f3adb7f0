import { createServer } from 'node:net';
import { join } from 'node:path';
import { WarrenClient } from '../client/lib/warren-client.js';
import { CHROMIUM_FLAGS, DEFAULT_CHROMIUM_PATH, chromiumInstalled } from './chromium.js';
import { benchNamespace, deleteNamespace } from './namespace.js';
import { ROOT, startCoordinator, startProgram } from './programs.js';
import { round, summarise, type Summary } from './stats.js';

export const WEB_MAIN = join(ROOT, 'dist', 'server', 'web', 'main.js');

/**
 * The web page's figures: from opening the page (navigation start) to the first message shown,
 * login typed in between (the only person-time left out is typing the name); and one message's
 * time from a terminal user's client (the client library the terminal runs) to the browser's
 * screen, one message at a time so no queue builds up. Real coordinator, gateway and Chromium.
 */
export interface WebResult {
  runs: number;
  messages: number;
  openToFirstMessageMs: Summary;
  terminalToBrowserMs: Summary;
  note: string;
}

export interface WebOptions {
  amqpUrl: string;
  runs: number;
  messages: number;
  prefetch: number;
  serverMain?: string;
  chromiumPath?: string;
}

/** Run in the page (a string: this file is compiled without the DOM's types). */
const WATCH_LOG = `(() => {
  const seen = {};
  window.benchSeen = seen;
  new MutationObserver((records) => {
    const at = performance.timeOrigin + performance.now();
    for (const record of records) {
      for (const node of record.addedNodes) {
        const text = (node.querySelector && node.querySelector('.text')?.textContent) || '';
        if (text.startsWith('bench ') && seen[text] === undefined) seen[text] = at;
      }
    }
  }).observe(document.getElementById('log'), { childList: true });
})()`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function runWeb(options: WebOptions, progress: (line: string) => void): Promise<WebResult> {
  const chromiumPath = options.chromiumPath ?? DEFAULT_CHROMIUM_PATH;
  if (!chromiumInstalled(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath} (apt-get install chromium): the web section needs it`);
  // A dev dependency: loaded only when this section runs.
  const { chromium } = await import('playwright-core');
  const namespace = benchNamespace('web');
  const coordinator = await startCoordinator({ amqpUrl: options.amqpUrl, namespace, prefetch: options.prefetch, serverMain: options.serverMain });
  const port = await freePort();
  const gateway = startProgram(WEB_MAIN, [], { AMQP_URL: options.amqpUrl, WARREN_NAMESPACE: namespace, WARREN_INSECURE_OPEN_BROKER: '1', WARREN_WEB_HOST: '127.0.0.1', WARREN_WEB_PORT: String(port) });
  const terminal = new WarrenClient({ amqpUrl: options.amqpUrl, namespace, security: { mode: 'open' }, requestTimeoutMs: 30_000 });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_FLAGS, headless: true });
  try {
    await gateway.waitFor('stderr', 'web gateway ready', 30_000);
    await terminal.connect();
    await terminal.login('bench-terminal');
    await terminal.send('the first message a new page shows');
    const url = `http://127.0.0.1:${port}/`;

    const open: number[] = [];
    for (let run = 0; run < options.runs; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const began = performance.now();
      await page.goto(url);
      await page.locator('#login-name').fill(`open${run}`);
      await page.keyboard.press('Enter');
      await page.locator('#log li.message').first().waitFor({ timeout: 30_000 });
      open.push(performance.now() - began);
      await context.close();
    }
    progress(`web: page open → first message p50 ${summarise(open).p50} ms over ${options.runs} run(s)`);

    const page = await browser.newPage();
    await page.goto(url);
    await page.locator('#login-name').fill('bench-browser');
    await page.keyboard.press('Enter');
    await page.locator('#me', { hasText: 'bench-browser' }).waitFor({ timeout: 30_000 });
    // The page notes, on the wall clock both sides share, when each benchmark line is added to the log.
    await page.evaluate(WATCH_LOG);
    const oneWay: number[] = [];
    for (let index = 0; index < options.messages; index += 1) {
      const text = `bench ${index}`;
      const sentAt = performance.timeOrigin + performance.now();
      void terminal.send(text);
      const handle = await page.waitForFunction((wanted: string) => (globalThis as unknown as { benchSeen: Record<string, number> }).benchSeen[wanted], text, { timeout: 30_000, polling: 5 });
      const shownAt = (await handle.jsonValue()) as number;
      oneWay.push(shownAt - sentAt);
    }
    return {
      runs: options.runs,
      messages: options.messages,
      openToFirstMessageMs: summarise(open.map(round)),
      terminalToBrowserMs: summarise(oneWay.map(round)),
      note: 'open: navigation start → login typed → first message in the log; one message: client library send → line added to the page (wall clock, same machine), one at a time',
    };
  } finally {
    await browser.close();
    await terminal.close();
    await gateway.stop();
    await coordinator.shutdown();
    await deleteNamespace(options.amqpUrl, namespace).catch(() => undefined);
  }
}
