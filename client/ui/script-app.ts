import { createInterface } from 'node:readline';
import { ERROR_CODES, isWarrenError } from '../../shared/index.js';
import type { ClientSettings } from '../config.js';
import { WarrenClient } from '../lib/warren-client.js';
import { createFormatter } from './format.js';
import { SessionController } from './session-controller.js';
import type { AppIo } from './terminal-app.js';

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
  const client = new WarrenClient({ amqpUrl: settings.amqpUrl, namespace: settings.namespace, requestTimeoutMs: settings.requestTimeout * 1000 });
  const print = (...lines: string[]): void => {
    for (const line of lines) io.output.write(`${line}\n`);
  };
  const controller = new SessionController(client, format, {
    print,
    printMessage: (_num, line) => print(line),
    // A plain stream cannot take a line back: say what changed instead.
    replaceMessage: (_num, _line, notice) => print(notice),
    printError: (line) => {
      io.errorOutput.write(`${line}\n`);
    },
    bell: () => undefined,
  });
  const fail = async (err: unknown): Promise<number> => {
    io.errorOutput.write(`${format.error(isWarrenError(err) ? err.code : ERROR_CODES.INTERNAL, err instanceof Error ? err.message : String(err))}\n`);
    await client.close({ logout: false });
    return 1;
  };
  try {
    await client.connect();
  } catch (err) {
    return fail(err);
  }
  let login;
  try {
    login = await client.login(settings.user);
  } catch (err) {
    return fail(err);
  }
  print(...format.welcome(login.name, login.room, login.users, login.rooms));
  if (!login.active) print(format.waiting(login.minUsers, login.users.length));

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
