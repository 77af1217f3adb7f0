import type { LoginOk } from '../../shared/index.js';
import { OPEN_BROKER_WARNING } from '../../shared/settings.js';
import type { ClientSettings } from '../config.js';
import type { ChatSession } from './chat-session.js';
import type { AppIo } from './app-io.js';
import { promptForName, promptForPassword, type LoginWith } from './name-prompt.js';

/** How long Enter at the name prompt waits for the broker before saying it is still connecting. */
const CONNECT_WAIT_MS = 3000;

/**
 * The interactive chat. The name prompt shows first, with only what it needs loaded; the client
 * library, the connection and the chat screen (chat-session.ts) load and connect while the
 * person types. With --user there is no prompt: connect, then log in.
 */
export async function runTerminalApp(settings: ClientSettings, io: AppIo): Promise<number> {
  // Before anything else, in plain words: open mode lets anyone on the broker read and forge everything.
  if (settings.insecureOpenBroker) io.errorOutput.write(`${io.chalk.red.bold(OPEN_BROKER_WARNING)}\n`);
  const prompting = settings.user === undefined;
  const promptStop = new AbortController();
  let session: ChatSession | undefined;
  let connectFailed = false;
  const ready: Promise<ChatSession | undefined> = (async () => {
    // One turn of the event loop first, so that the prompt is drawn before the loading starts.
    if (prompting) await new Promise((resolve) => setImmediate(resolve));
    const { ChatSession } = await import('./chat-session.js');
    session = new ChatSession(settings, io);
    const connected = await session.connect(!prompting);
    if (connected) return session;
    // Said on stderr by connect(); the prompt ends with it.
    connectFailed = true;
    promptStop.abort();
    return undefined;
  })();

  let login: LoginOk;
  try {
    login = await loginInteractively(settings, io, ready, () => session?.lastTrouble, promptStop.signal);
  } catch (err) {
    if (connectFailed) return 1;
    // Not `await ready`: with the broker away, connecting never ends by itself; closing stops it.
    await session?.close();
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) {
      io.output.write('Bye.\n');
      return 0;
    }
    io.errorOutput.write(`✗ ${err instanceof Error ? err.message : String(err)} [INTERNAL]\n`);
    return 1;
  }
  const connected = await ready;
  if (!connected) return 1;
  return connected.run(login);
}

async function loginInteractively(
  settings: ClientSettings,
  io: AppIo,
  ready: Promise<ChatSession | undefined>,
  trouble: () => string | undefined,
  stop: AbortSignal,
): Promise<LoginOk> {
  const streams = { input: io.input, output: io.output, signal: AbortSignal.any([io.signal, stop]) };
  if (settings.user !== undefined) {
    const session = await ready;
    if (!session) throw new Error('not connected');
    try {
      // Loaded only here: it brings the error tables, which the prompt does without.
      const fromFile = settings.passwordFile === undefined ? undefined : await (await import('./password-file.js')).readPasswordFile(settings.passwordFile);
      return await session.login(settings.user, fromFile);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string') throw err;
      io.output.write(`${session.format.error(code, err instanceof Error ? err.message : String(err))}\n`);
      if (code === 'PASSWORD_REQUIRED' || code === 'PASSWORD_WRONG') {
        return promptForPassword((name, password) => session.login(name, password), settings.user, streams);
      }
    }
  }
  const login: LoginWith = async (name, password) => {
    let waited: NodeJS.Timeout | undefined;
    const session = await Promise.race([ready, new Promise<'waiting'>((resolve) => (waited = setTimeout(() => resolve('waiting'), CONNECT_WAIT_MS)))]);
    clearTimeout(waited);
    if (session === 'waiting') {
      throw Object.assign(new Error(`not connected to the broker yet${trouble() ? ` (${trouble()})` : ''}; press Enter to try again`), { code: 'BROKER_UNREACHABLE' });
    }
    if (!session) throw new Error('not connected');
    return session.login(name, password);
  };
  return promptForName(login, streams);
}
