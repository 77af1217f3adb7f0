import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Chalk } from 'chalk';
import { parseInput } from '../../client/commands.js';
import { createFormatter } from '../../client/ui/format.js';
import { readPasswordFile } from '../../client/ui/password-file.js';
import { Screen, maskTyped } from '../../client/ui/screen.js';
import { SessionController } from '../../client/ui/session-controller.js';
import { ERROR_CODES, isWarrenError } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';

/** The WarrenError code `run` throws or rejects with. */
async function codeOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (err) {
    if (isWarrenError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('/register and passwords in the terminal client', () => {
  describe('bad input first', () => {
    it('refuses a password typed on the /register line itself', async () => {
      expect(await codeOf(() => parseInput('/register hunter22hunter'))).toBe(ERROR_CODES.COMMAND_USAGE);
      expect(parseInput('/register')).toEqual({ kind: 'command', name: 'register' });
    });

    it('refuses an unreadable or empty password file, naming it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'warren-pw-'));
      try {
        const missing = join(dir, 'missing');
        await expect(readPasswordFile(missing)).rejects.toThrow(new RegExp(`--password-file ${missing}: cannot read it \\(ENOENT\\)`));
        expect(await codeOf(() => readPasswordFile(dir))).toBe(ERROR_CODES.CONFIG_INVALID);
        writeFileSync(join(dir, 'empty'), '\nsecond line');
        expect(await codeOf(() => readPasswordFile(join(dir, 'empty')))).toBe(ERROR_CODES.CONFIG_INVALID);
        writeFileSync(join(dir, 'good'), 'pass word 1\r\nignored');
        expect(await readPasswordFile(join(dir, 'good'))).toBe('pass word 1');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('masks what is typed, redraws included, and leaves cursor moves alone', () => {
    expect(maskTyped('Password: secret', 'secret', 'Password: ')).toBe('Password: ******');
    expect(maskTyped('s', 's', 'Password: ')).toBe('*');
    expect(maskTyped('\x1b[1G', 'abc', 'Password: ')).toBe('\x1b[1G');
  });

  it('reads a hidden line on the screen: stars on screen, not in the line history, then the prompt again', async () => {
    const input = new PassThrough();
    const output = Object.assign(new PassThrough(), { columns: 80, rows: 24 });
    let written = '';
    output.on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
    const screen = new Screen({ input, output, prompt: '> ', completer: (line: string) => [[], line] });
    const lines: string[] = [];
    screen.onLine((line) => lines.push(line));
    const asked = screen.askHidden('Password: ');
    input.write('topsecret1\r');
    expect(await asked).toBe('topsecret1');
    input.write('after\r');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual(['after']);
    expect(written).not.toContain('topsecret1');
    expect(written).toContain('**********');
    screen.close();
  });

  describe('with a coordinator', () => {
    let running: RunningCoordinator;
    beforeEach(async () => {
      running = await startCoordinator();
    });
    afterEach(async () => {
      await running.stop();
    });

    async function controllerWith(answers: string[]): Promise<{ controller: SessionController; printed: string[] }> {
      const client = await running.client();
      await client.login('kim');
      const printed: string[] = [];
      const controller = new SessionController(
        client,
        createFormatter(new Chalk({ level: 0 }), { localTime: false }),
        {
          print: (...lines) => printed.push(...lines),
          printMessage: (_num, line) => printed.push(line),
          replaceMessage: (_num, _line, notice) => printed.push(notice),
          printError: (line) => printed.push(line),
          bell: () => undefined,
        },
        () => Promise.resolve(answers.shift() ?? ''),
      );
      return { controller, printed };
    }

    it('refuses a short password and two that differ, and registers nothing', async () => {
      const { controller, printed } = await controllerWith(['short', 'long enough 1', 'long enough 2']);
      await controller.handleLine('/register');
      await controller.handleLine('/register');
      expect(printed.join('\n')).toMatch(/PASSWORD_TOO_SHORT/);
      expect(printed.join('\n')).toMatch(/PASSWORD_MISMATCH/);
      const other = await running.client();
      await other.login('kim2');
      await running.client().then(async (third) => {
        await expect(third.login('kim')).rejects.toMatchObject({ code: ERROR_CODES.NAME_TAKEN });
      });
    });

    it('registers with the password typed twice', async () => {
      const { controller, printed } = await controllerWith(['long enough 1', 'long enough 1']);
      await controller.handleLine('/register');
      expect(printed.join('\n')).toMatch(/"kim" is registered/);
      const other = await running.client();
      await expect(other.login('kim')).rejects.toMatchObject({ code: ERROR_CODES.PASSWORD_REQUIRED });
    });
  });
});
