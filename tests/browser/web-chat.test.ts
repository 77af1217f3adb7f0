/// <reference lib="dom" />
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS_DIR, chromiumAvailability, launchChromium } from '../support/browser.js';
import { PrivateBroker, freePort } from '../support/private-broker.js';
import { CLIENT_MAIN, RATE_LIMITS_OFF, SERVER_MAIN, runProgram, type Program } from '../support/programs.js';
import { SecureBroker } from '../support/secure-broker.js';
import { TerminalSession } from '../support/terminal.js';
import { waitFor } from '../support/wait.js';
import { spawnWebProgram, type WebProgram } from '../support/web-gateway.js';

/**
 * A person in Chromium and a person at a terminal, talking: the real coordinator in secure mode on
 * a private broker node, the real gateway program, the real terminal client in a pseudo-terminal.
 * Everything is checked on both screens; screenshots go to tests/artifacts/browser.
 */
const chromium = chromiumAvailability();
const brokerAvailable = PrivateBroker.available();
const run = chromium.available && brokerAvailable ? describe : describe.skip;
if (!brokerAvailable) process.stderr.write('SKIPPED: the browser tests need rabbitmq-server here for a private secure node\n');

const NAMESPACE = 'web-e2e';
const SECURE_ENV = { WARREN_INSECURE_OPEN_BROKER: '' };

let broker: SecureBroker | undefined;
let coordinator: Program | undefined;
let web: WebProgram | undefined;
let browser: Browser | undefined;
let term: TerminalSession;
let page: Page;

const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
/** The text of every message line shown in the page's log. */
const logTexts = (): Promise<string[]> => page.locator('#log li.message .text').allTextContents();
const waitInPage = async (text: string): Promise<void> => {
  let seen: string[] = [];
  await waitFor(async () => (seen = await logTexts()).some((line) => line.includes(text)), () => `"${text}" in the page; its lines: ${JSON.stringify(seen.slice(-15))}`, 15_000);
};
const type = async (line: string): Promise<void> => {
  await page.locator('#line').focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
};
/** The message number the terminal shows before a line of text: "(12) terry (you): text". */
const numOnTerminal = (text: string): number => {
  const match = new RegExp(`\\((\\d+)\\) [^\\n]*: ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).exec(term.text());
  if (!match?.[1]) throw new Error(`no "${text}" on the terminal:\n${term.text()}`);
  return Number(match[1]);
};

beforeAll(async () => {
  if (!chromium.available || !brokerAvailable) return;
  const dir = mkdtempSync(join(tmpdir(), 'warren-web-e2e-'));
  broker = await SecureBroker.start({ authorityPort: await freePort() });
  coordinator = runProgram(SERVER_MAIN, [], {
    ...SECURE_ENV,
    ...RATE_LIMITS_OFF,
    AMQP_URL: broker.baseUrl,
    WARREN_NAMESPACE: NAMESPACE,
    WARREN_DATA_DIR: join(dir, 'data'),
    WARREN_LOG_DIR: join(dir, 'log'),
    WARREN_AUTHORITY_PORT: String(broker.authorityPort),
    WARREN_MANAGEMENT_URL: `http://127.0.0.1:${broker.managementPort}`,
    WARREN_HISTORY_SIZE: '5',
  });
  await waitFor(() => coordinator!.stderr().includes('coordinator ready') || coordinator!.child.exitCode !== null, 'the coordinator to serve', 30_000);
  if (coordinator.child.exitCode !== null) throw new Error(`coordinator exited: ${coordinator.stderr()}`);
  // The gateway holds no broker secret: like the terminal, each session mints its own id.
  web = await spawnWebProgram({ ...SECURE_ENV, AMQP_URL: broker.baseUrl, WARREN_NAMESPACE: NAMESPACE });
  term = new TerminalSession(process.execPath, [CLIENT_MAIN, '--user', 'terry'], { ...SECURE_ENV, AMQP_URL: broker.baseUrl, WARREN_NAMESPACE: NAMESPACE }, { cols: 160, rows: 50 });
  await term.waitForText('Welcome to warren, terry!', 20_000);
  browser = await launchChromium();
  const context = await browser.newContext();
  // A stand-in for the desktop's notifications, and a switch for "the tab is hidden", both watched by the test.
  await context.addInitScript(() => {
    const w = window as unknown as { warrenNotes: string[]; warrenHidden: boolean };
    w.warrenNotes = [];
    w.warrenHidden = false;
    Object.defineProperty(document, 'hidden', { get: () => w.warrenHidden });
    class FakeNotification {
      static permission = 'granted';
      static requestPermission = async (): Promise<string> => 'granted';
      constructor(title: string, options?: { body?: string }) {
        w.warrenNotes.push(`${title}: ${options?.body ?? ''}`);
      }
    }
    Object.defineProperty(window, 'Notification', { value: FakeNotification });
  });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  term?.kill();
  await web?.stop();
  if (coordinator && coordinator.child.exitCode === null) {
    coordinator.child.kill('SIGTERM');
    await coordinator.exited;
  }
  await broker?.stop();
}, 60_000);

run('the web client beside the terminal client', () => {
  it('logs in with the keyboard alone and sends with Enter; the terminal sees it', async () => {
    await page.goto(web!.httpUrl);
    await page.locator('#login-name').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('login-name');
    await page.keyboard.type('wendy');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('login-password');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('login-button');
    await page.keyboard.press('Enter');
    await page.locator('#me', { hasText: 'wendy' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('line');
    await page.keyboard.type('hello from the browser');
    await page.keyboard.press('Enter');
    await waitInPage('hello from the browser');
    await term.waitForText(/\(\d+\) wendy: hello from the browser/);
    // The server's time and id on each line.
    expect(await page.locator('#log li.message').last().locator('.time').textContent()).toMatch(/^\[\d{2}:\d{2}:\d{2}\]$/);
    expect(await page.locator('#log li.message').last().locator('.num').textContent()).toMatch(/^\(\d+\)$/);
    expect(await page.locator('#online-list').innerText()).toMatch(/terry[\s\S]*wendy/);
    await shot('01-logged-in');
  });

  it('shows the terminal user text as text, never as HTML', async () => {
    term.enter('<img src=x onerror="document.title=1"><b>bold?</b>');
    await waitInPage('<b>bold?</b>');
    expect(await page.locator('#log img, #log b').count()).toBe(0);
    expect(await page.title()).toBe('warren');
  });

  it('highlights a mention on both screens, and notifies when the tab is hidden', async () => {
    term.enter('hey @wendy look');
    await waitInPage('hey @wendy look');
    expect(await page.locator('#log li.message.mention .text', { hasText: 'hey @wendy look' }).count()).toBe(1);
    await page.evaluate(() => ((window as unknown as { warrenHidden: boolean }).warrenHidden = true));
    term.enter('@wendy are you there');
    await waitInPage('@wendy are you there');
    expect(await page.evaluate(() => (window as unknown as { warrenNotes: string[] }).warrenNotes)).toEqual(['terry mentioned you in #general: @wendy are you there']);
    await page.evaluate(() => ((window as unknown as { warrenHidden: boolean }).warrenHidden = false));
    // The terminal highlights the browser user's mention of it (yellow background).
    await type('answering @terry now');
    await term.waitForText('wendy: answering @terry now');
    expect(term.rawOutput).toMatch(/\x1b\[43m[^\n]*answering @terry now/);
    await shot('02-mention');
  });

  it('creates a room, sees the terminal join it, counts unread there, and switches rooms with the keyboard', async () => {
    await type('/create lab');
    await page.locator('#room-title', { hasText: '#lab' }).waitFor();
    expect(await page.locator('#room-list button[data-room="lab"] .meta').textContent()).toContain('admin');
    term.enter('/join lab');
    await term.waitForText('Lines you type now go to #lab.');
    await waitFor(async () => (await page.locator('#log').innerText()).includes('terry joined #lab'), 'the join notice');
    // Back to general by the keyboard: Shift+Tab from the input reaches the room buttons.
    await page.locator('#line').focus();
    for (let step = 0; step < 12; step += 1) {
      if ((await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.room)) === 'general') break;
      await page.keyboard.press('Shift+Tab');
    }
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.room)).toBe('general');
    await page.keyboard.press('Enter');
    await page.locator('#room-title', { hasText: '#general' }).waitFor();
    term.enter('in the lab, unseen');
    await page.locator('#room-list button[data-room="lab"] .unread', { hasText: '1' }).waitFor();
    await shot('03-unread');
    await type('/room lab');
    await waitInPage('in the lab, unseen');
    expect(await page.locator('#room-list button[data-room="lab"] .unread').count()).toBe(0);
  });

  it('completes commands and names with Tab', async () => {
    await page.locator('#line').focus();
    await page.keyboard.type('/hel');
    await page.keyboard.press('Tab');
    expect(await page.locator('#line').inputValue()).toBe('/help ');
    await page.locator('#line').fill('');
    await page.keyboard.type('hi @ter');
    await page.keyboard.press('Tab');
    expect(await page.locator('#line').inputValue()).toBe('hi @terry ');
    await page.locator('#line').fill('');
  });

  it('carries a private message each way, in its own conversation', async () => {
    term.enter('/msg wendy psst, only you');
    await page.locator('#room-list button', { hasText: '@terry' }).waitFor();
    await page.locator('#room-list button', { hasText: '@terry' }).click();
    await waitInPage('psst, only you');
    expect(await page.locator('#log li.message .private').first().textContent()).toBe('[private]');
    await type('private answer');
    await term.waitForText(/\[private\] wendy: private answer/);
    await shot('04-private');
    await type('/room general');
  });

  it('changes edited, deleted and expiring messages in place on both screens', async () => {
    await type('a tpyo here');
    await waitInPage('a tpyo here');
    const num = Number(await page.locator('#log li.message', { hasText: 'a tpyo here' }).getAttribute('data-num'));
    await type(`/edit ${num} a typo here, fixed`);
    await page.locator(`#log li[data-num="${num}"] .edited`).waitFor();
    expect(await page.locator(`#log li[data-num="${num}"] .text`).textContent()).toBe('a typo here, fixed');
    await term.waitForText('a typo here, fixed');

    term.enter('/room general');
    term.enter('the terminal regrets this');
    await waitInPage('the terminal regrets this');
    const regret = numOnTerminal('the terminal regrets this');
    term.enter(`/delete ${regret}`);
    await waitFor(async () => ((await page.locator(`#log li[data-num="${regret}"] .text`).textContent()) ?? '').includes('was deleted'), 'the deletion in the page', 15_000);
    expect(await page.locator('#log').innerText()).not.toContain('the terminal regrets this');

    await type('/ttl 2s soon gone');
    await waitInPage('soon gone');
    const gone = Number(await page.locator('#log li.message', { hasText: 'soon gone' }).getAttribute('data-num'));
    expect(await page.locator(`#log li[data-num="${gone}"] .expires`).textContent()).toMatch(/disappears at/);
    await term.waitForText('soon gone');
    await waitFor(async () => ((await page.locator(`#log li[data-num="${gone}"] .text`).textContent()) ?? '').includes('expired'), 'the expiry in the page', 15_000);
    await term.waitForText(new RegExp(`message \\(${gone}\\) from wendy expired`), 15_000);
    await shot('05-edit-delete-expire');
  });

  it('reconnects after a cut socket without losing or doubling a message, either way', async () => {
    await page.evaluate(() => (window as unknown as { warrenCutSocket: () => void }).warrenCutSocket());
    term.enter('said during the cut');
    await type('typed during the cut');
    await waitInPage('said during the cut');
    await term.waitForText('wendy: typed during the cut');
    await page.locator('#status', { hasText: 'connected' }).waitFor();
    term.enter('after the cut');
    await waitInPage('after the cut');
    const lines = await logTexts();
    expect(lines.filter((line) => line === 'said during the cut')).toHaveLength(1);
    expect(lines.filter((line) => line === 'typed during the cut')).toHaveLength(1);
    expect(term.text().match(/wendy: typed during the cut/g)).toHaveLength(1);
  });

  it('keeps the session over a reload of the page, and fetches older history on demand', async () => {
    await page.reload();
    await page.locator('#me', { hasText: 'wendy' }).waitFor();
    await waitInPage('after the cut');
    // What the page had shown before the reload comes back as old news: no unread counts.
    expect(await page.locator('#room-list button', { hasText: '#lab' }).count()).toBe(1);
    expect(await page.locator('#room-list button', { hasText: '@terry' }).count()).toBe(1);
    expect(await page.locator('#room-list .unread').count()).toBe(0);
    // Joined with 5 lines of history (WARREN_HISTORY_SIZE=5): a second user asks for older ones.
    const second = await browser!.newPage();
    await second.goto(web!.httpUrl);
    await second.locator('#login-name').fill('walt');
    await second.keyboard.press('Enter');
    await second.locator('#me', { hasText: 'walt' }).waitFor();
    await second.locator('#older').waitFor();
    expect(await second.locator('#log li.message').count()).toBeLessThanOrEqual(5);
    await second.locator('#older').focus();
    await second.keyboard.press('Enter');
    await waitFor(async () => (await second.locator('#log li.message .text').allTextContents()).includes('hello from the browser'), 'the oldest message after loading older ones', 15_000);
    await second.screenshot({ path: join(ARTIFACTS_DIR, '06-older-history.png'), fullPage: true });
    await second.close();
  });

  it('leaves with /exit; the terminal sees the name go', async () => {
    await type('/exit');
    await page.locator('#login-name').waitFor();
    await term.waitForText(/wendy left/);
  });
});
