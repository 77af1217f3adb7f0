import type { ChalkInstance } from 'chalk';
import { ERROR_CODES, OPEN_BROKER_WARNING, isWarrenError, redactUrl, type LoginOk } from '../../shared/index.js';
import { clientSecurity, type ClientSettings } from '../config.js';
import { WarrenClient } from '../lib/warren-client.js';
import { BufferedOutput } from './buffered-output.js';
import { complete } from './completion.js';
import { createFormatter } from './format.js';
import { promptForName, promptForPassword } from './name-prompt.js';
import { readPasswordFile } from './password-file.js';
import { Screen } from './screen.js';
import { SessionController } from './session-controller.js';

export interface AppIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { columns?: number };
  errorOutput: NodeJS.WritableStream;
  chalk: ChalkInstance;
  /** Aborted on SIGTERM: leave cleanly. */
  signal: AbortSignal;
}

/** The interactive chat: name prompt, then a line editor with incoming messages printed above it. */
export async function runTerminalApp(settings: ClientSettings, io: AppIo): Promise<number> {
  const format = createFormatter(io.chalk, { localTime: settings.localTime });
  const client = new WarrenClient({ amqpUrl: settings.amqpUrl, namespace: settings.namespace, security: clientSecurity(settings), requestTimeoutMs: settings.requestTimeout * 1000 });
  if (settings.insecureOpenBroker) io.errorOutput.write(`${io.chalk.red.bold(OPEN_BROKER_WARNING)}\n`);
  const buffered = new BufferedOutput();
  // /register asks on the screen's line, masked; the screen exists once the login is done.
  const secrets: { screen?: Screen } = {};
  const askSecret = (question: string): Promise<string> =>
    secrets.screen ? secrets.screen.askHidden(question) : Promise.reject(new Error('no screen to ask on'));
  const controller = new SessionController(client, format, buffered, askSecret);

  io.output.write(`${format.info(`Connecting to ${redactUrl(settings.amqpUrl)} (namespace ${settings.namespace})…`)}\n`);
  const earlyStatus = (status: Parameters<typeof format.status>[0]): void => {
    const line = format.status(status);
    if (line !== undefined && status.state !== 'connected') io.output.write(`${line}\n`);
  };
  client.on('status', earlyStatus);
  try {
    await Promise.race([client.connect(), aborted(io.signal)]);
  } catch (err) {
    io.errorOutput.write(`${format.error(isWarrenError(err) ? err.code : 'BROKER_UNREACHABLE', err instanceof Error ? err.message : String(err))}\n`);
    await client.close({ logout: false });
    return 1;
  }
  client.off('status', earlyStatus);

  let login: LoginOk;
  try {
    login = await loginInteractively(client, settings, io, format);
  } catch (err) {
    await client.close({ logout: false });
    if (err instanceof Error && err.name === 'ExitPromptError') {
      io.output.write('Bye.\n');
      return 0;
    }
    io.errorOutput.write(`${format.error(isWarrenError(err) ? err.code : 'INTERNAL', err instanceof Error ? err.message : String(err))}\n`);
    return 1;
  }

  for (const user of login.users) controller.online.add(user.name);
  let offline = false;
  const promptText = (): string =>
    `${offline ? io.chalk.yellow('(offline) ') : ''}${io.chalk.magenta(`#${controller.currentRoom}`)} ${io.chalk.bold(login.name)}> `;
  const screen = new Screen({
    input: io.input,
    output: io.output,
    prompt: promptText(),
    completer: (line: string) => complete(line, controller.online, controller.roomNames),
  });
  secrets.screen = screen;
  screen.print(...format.welcome(login.name, login.room, login.users, login.rooms));
  if (!login.active) screen.print(format.waiting(login.minUsers, login.users.length));
  buffered.attach({
    print: (...lines) => screen.print(...lines),
    printMessage: (num, line) => screen.printMessage(num, line),
    replaceMessage: (num, line, notice) => screen.replaceMessage(num, line, notice),
    printError: (line) => screen.print(line),
    bell: () => screen.bell(),
    roomChanged: () => screen.setPrompt(promptText()),
  });
  client.on('status', (status) => {
    if (status.state === 'connected') offline = false;
    else if (status.state === 'disconnected' || status.state === 'reconnecting') offline = true;
    else return;
    screen.setPrompt(promptText());
  });

  return new Promise<number>((resolve) => {
    let leaving = false;
    const leave = async (): Promise<void> => {
      if (leaving) return;
      leaving = true;
      screen.print(format.info('Leaving…'));
      await controller.settle(settings.requestTimeout * 1000);
      await client.close();
      screen.close();
      io.output.write('Bye.\n');
      resolve(0);
    };
    let work = Promise.resolve();
    screen.onLine((line) => {
      work = work.then(async () => {
        if (leaving) return;
        const next = await controller.handleLine(line);
        if (next === 'exit') await leave();
        else screen.prompt();
      });
    });
    screen.onInterrupt(() => void leave());
    screen.onClose(() => void leave());
    io.signal.addEventListener('abort', () => void leave(), { once: true });
    screen.prompt();
  });
}

async function loginInteractively(
  client: WarrenClient,
  settings: ClientSettings,
  io: AppIo,
  format: ReturnType<typeof createFormatter>,
): Promise<LoginOk> {
  const streams = { input: io.input, output: io.output };
  if (settings.user !== undefined) {
    try {
      const fromFile = settings.passwordFile === undefined ? undefined : await readPasswordFile(settings.passwordFile);
      return await client.login(settings.user, fromFile);
    } catch (err) {
      if (!isWarrenError(err)) throw err;
      io.output.write(`${format.error(err.code, err.message)}\n`);
      if (err.code === ERROR_CODES.PASSWORD_REQUIRED || err.code === ERROR_CODES.PASSWORD_WRONG) return promptForPassword(client, settings.user, streams);
    }
  }
  return promptForName(client, streams);
}

/** Rejects when the signal aborts (SIGTERM, or Ctrl+C in script mode): waiting for the broker can be given up. */
export function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new Error('interrupted while connecting'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
