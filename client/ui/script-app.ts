import { createInterface } from 'node:readline';
import { ERROR_CODES, OPEN_BROKER_WARNING, WarrenError, isWarrenError } from '../../shared/index.js';
import { clientOptions, type ClientSettings } from '../config.js';
import { WarrenClient } from '../lib/warren-client.js';
import { BufferedOutput } from './buffered-output.js';
import { createFormatter } from './format.js';
import { readPasswordFile } from './password-file.js';
import { SessionController } from './session-controller.js';
import { aborted, type AppIo } from './app-io.js';

/**
 * Without a terminal: lines from stdin are typed lines, output is plain text, errors go to
 * stderr. At the end of input it waits until every message was accepted (or refused), logs out
 * and exits 0, or 1 if any message was not accepted.
 */
export async function runScriptApp(settings: ClientSettings, io: AppIo): Promise<number> {
  const format = createFormatter(io.chalk, { localTime: settings.localTime });
  if (settings.user === undefined) {
    io.errorOutput.write(`${format.error(ERROR_CODES.CONFIG_INVALID, '--user NAME (or WARREN_USER) is required when input is not a terminal')}\n`);
    return 2;
  }
  let password: string | undefined;
  try {
    password = settings.passwordFile === undefined ? undefined : await readPasswordFile(settings.passwordFile);
  } catch (err) {
    io.errorOutput.write(`${format.error(isWarrenError(err) ? err.code : ERROR_CODES.CONFIG_INVALID, err instanceof Error ? err.message : String(err))}\n`);
    return 2;
  }
  const client = new WarrenClient(clientOptions(settings));
  if (settings.insecureOpenBroker) io.errorOutput.write(`${io.chalk.red.bold(OPEN_BROKER_WARNING)}\n`);
  const print = (...lines: string[]): void => {
    for (const line of lines) io.output.write(`${line}\n`);
  };
  const printError = (line: string): void => {
    io.errorOutput.write(`${line}\n`);
  };
  // History delivered during login is held until the welcome is printed, as on the terminal;
  // errors and connection notices (waiting for the broker) go out at once.
  const buffered = new BufferedOutput();
  const controller = new SessionController(client, format, {
    print: (...lines) => buffered.print(...lines),
    printMessage: (num, line) => buffered.printMessage(num, line),
    replaceMessage: (num, line, notice) => buffered.replaceMessage(num, line, notice),
    printError,
    bell: () => undefined,
  }, async () => {
    // Both questions of /register are answered by the file: a script cannot type hidden lines.
    if (password === undefined) throw new WarrenError(ERROR_CODES.COMMAND_USAGE, '/register needs --password-file (or WARREN_PASSWORD_FILE) in script mode');
    return password;
  });
  const fail = async (err: unknown): Promise<number> => {
    io.errorOutput.write(`${format.error(isWarrenError(err) ? err.code : ERROR_CODES.INTERNAL, err instanceof Error ? err.message : String(err))}\n`);
    await client.close({ logout: false });
    return 1;
  };
  try {
    // A signal while the broker is still away ends the wait: main() has taken over SIGINT and SIGTERM.
    await Promise.race([client.connect(), aborted(io.signal)]);
  } catch (err) {
    return fail(err);
  }
  let login;
  try {
    login = await client.login(settings.user, password);
  } catch (err) {
    return fail(err);
  }
  print(...format.welcome(login.name, login.room, login.users, login.rooms));
  const waiting = login.active ? undefined : format.waiting(login.minUsers, login.users.length);
  if (waiting !== undefined) print(waiting);
  buffered.attach({
    print,
    printMessage: (_num, line) => print(line),
    // A plain stream cannot take a line back: say what changed instead.
    replaceMessage: (_num, _line, notice) => print(notice),
    printError,
    bell: () => undefined,
  });

  const lines = createInterface({ input: io.input, terminal: false });
  io.signal.addEventListener('abort', () => lines.close(), { once: true });
  for await (const line of lines) {
    if ((await controller.handleLine(line)) === 'exit') break;
  }
  lines.close();
  const notAccepted = await controller.settle(settings.requestTimeout * 1000);
  await client.close();
  if (notAccepted > 0) io.errorOutput.write(`${format.error(ERROR_CODES.NOT_ACCEPTED, `${notAccepted} message(s) were not accepted`)}\n`);
  return notAccepted > 0 ? 1 : 0;
}
