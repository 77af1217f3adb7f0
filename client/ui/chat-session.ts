import { isWarrenError, redactUrl, type LoginOk } from '../../shared/index.js';
import { clientOptions, type ClientSettings } from '../config.js';
import { WarrenClient } from '../lib/warren-client.js';
import { BufferedOutput } from './buffered-output.js';
import { complete } from './completion.js';
import { createFormatter, type Formatter } from './format.js';
import { Screen } from './screen.js';
import { SessionController } from './session-controller.js';
import { aborted, type AppIo } from './app-io.js';
import { watchTerminal } from './terminal-watch.js';

/** How often the terminal is asked whether it is still there (terminal-watch.ts). */
const TERMINAL_CHECK_MS = 3000;

/**
 * The interactive chat once the name prompt is up: the client library, its connection and the
 * chat screen. terminal-app.ts loads this module while the prompt is already shown.
 */
export class ChatSession {
  readonly format: Formatter;
  readonly client: WarrenClient;
  private readonly buffered = new BufferedOutput();
  private readonly controller: SessionController;
  /** The last connection trouble, for a prompt that cannot print lines of its own. */
  lastTrouble: string | undefined;
  private screen: Screen | undefined;

  constructor(
    private readonly settings: ClientSettings,
    private readonly io: AppIo,
  ) {
    this.format = createFormatter(io.chalk, { localTime: settings.localTime });
    this.client = new WarrenClient(clientOptions(settings));
    // /register asks on the screen's line, masked; the screen exists once the login is done.
    const askSecret = (question: string): Promise<string> =>
      this.screen ? this.screen.askHidden(question) : Promise.reject(new Error('no screen to ask on'));
    this.controller = new SessionController(this.client, this.format, this.buffered, askSecret);
  }

  /** Connects; `printStatus` writes what happens meanwhile (not while a prompt owns the screen). Resolves false on failure, said on stderr. */
  async connect(printStatus: boolean): Promise<boolean> {
    const { format, io, settings, client } = this;
    if (printStatus) io.output.write(`${format.info(`Connecting to ${redactUrl(settings.amqpUrl)} (namespace ${settings.namespace})…`)}\n`);
    const earlyStatus = (status: Parameters<typeof format.status>[0]): void => {
      const line = format.status(status);
      if (line === undefined || status.state === 'connected') return;
      this.lastTrouble = io.chalk.reset(line);
      if (printStatus) io.output.write(`${line}\n`);
    };
    client.on('status', earlyStatus);
    try {
      await Promise.race([client.connect(), aborted(io.signal)]);
      return true;
    } catch (err) {
      io.errorOutput.write(`${format.error(isWarrenError(err) ? err.code : 'BROKER_UNREACHABLE', err instanceof Error ? err.message : String(err))}\n`);
      await client.close({ logout: false });
      return false;
    } finally {
      client.off('status', earlyStatus);
    }
  }

  login(name: string, password?: string): Promise<LoginOk> {
    return this.client.login(name, password);
  }

  async close(): Promise<void> {
    await this.client.close({ logout: false });
  }

  /** The chat itself, logged in: a line editor with incoming messages printed above it. */
  async run(login: LoginOk): Promise<number> {
    const { format, io, settings, client, controller, buffered } = this;
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
    this.screen = screen;
    screen.print(...format.welcome(login.name, login.room, login.users, login.rooms));
    const waiting = login.active ? undefined : format.waiting(login.minUsers, login.users.length);
    if (waiting !== undefined) screen.print(waiting);
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
        stopWatching();
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
      // A closed window that sends no signal (docker exec): leave as if /exit had been typed.
      const stopWatching = watchTerminal({ input: io.input, output: io.output, intervalMs: TERMINAL_CHECK_MS, onGone: () => void leave() });
      screen.prompt();
    });
  }
}
