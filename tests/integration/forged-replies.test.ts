import { Chalk } from 'chalk';
import { createFormatter } from '../../client/ui/format.js';
import { SessionController, type Output } from '../../client/ui/session-controller.js';
import { rawChannel } from '../support/broker.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { waitFor } from '../support/wait.js';

/**
 * Every string from the wire reaches the terminal neutralised, replies and errors included. On the
 * shared (open-mode) broker anyone can write into a client's queue, so forged replies arrive; the
 * check here is what the terminal shows of them. (Secure mode drops them before: tests/security/.)
 */
const ESC = '\u001b';
const HOSTILE = `${ESC}]0;pwned${ESC}\\${ESC}[2J${ESC}[31mred\u0007\u009b31m\u202e`;

describe('forged replies with escape sequences', () => {
  let running: RunningCoordinator;
  beforeAll(async () => {
    running = await startCoordinator();
  });
  afterAll(async () => {
    await running.stop();
  });

  it('reach the screen with every control character shown, not interpreted', async () => {
    const client = await running.client();
    const printed: string[] = [];
    const output: Output = {
      print: (...lines) => printed.push(...lines),
      printMessage: (_num, line) => printed.push(line),
      replaceMessage: (_num, line) => printed.push(line),
      printError: (line) => printed.push(line),
      bell: () => undefined,
    };
    // Level 0: the formatter adds no escapes of its own, so any escape on screen came from the wire.
    new SessionController(client, createFormatter(new Chalk({ level: 0 }), { localTime: false }), output);
    await client.login('victim');
    const { channel, close } = await rawChannel();
    try {
      const queue = running.coordinator.topology.clientQueue(client.clientId);
      const forge = (body: unknown): void => {
        channel.sendToQueue(queue, Buffer.from(JSON.stringify(body)));
      };
      forge({ type: 'private.status', requestId: 'r-1', to: `bob${HOSTILE}`, delivered: true });
      forge({ type: 'private.status', requestId: 'r-2', to: `bob${HOSTILE}`, delivered: false });
      forge({ type: 'error', code: 'SESSION_UNKNOWN', message: `you were logged out${HOSTILE}` });
      await channel.waitForConfirms();
      await waitFor(() => printed.filter((line) => line.includes('pwned')).length >= 3, 'the three forged lines');
    } finally {
      await close();
    }
    const forged = printed.filter((line) => line.includes('pwned'));
    for (const line of forged) {
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/u);
      expect(line).toContain('^[]0;pwned^[\\^[[2J^[[31mred^G<U+009B>31m<U+202E>');
    }
    expect(forged.some((line) => line.includes('delivered to bob'))).toBe(true);
    expect(forged.some((line) => line.includes('you were logged out') && line.includes('[SESSION_UNKNOWN]'))).toBe(true);
  });
});
