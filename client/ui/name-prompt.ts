import { input, password } from '@inquirer/prompts';
import type { LoginOk } from '../../shared/index.js';
import { checkUserName } from '../../shared/names.js';

/** Logs in with a name, and the password when the name is registered. */
export type LoginWith = (name: string, password?: string) => Promise<LoginOk>;
type Streams = { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal };

/** The code of a refusal, without loading the error tables: the prompt shows before they load. */
const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};
const describe = (err: unknown): string => {
  const message = err instanceof Error ? err.message : String(err);
  const code = codeOf(err);
  return code === undefined ? message : `${message} [${code}]`;
};
const options = (streams: Streams) => ({ input: streams.input, output: streams.output, ...(streams.signal ? { signal: streams.signal } : {}) });

/**
 * Asks for a user name until the coordinator accepts one. The rules are checked locally first for
 * an instant answer; the coordinator has the last word (a taken name, or a race lost). A
 * registered name (PASSWORD_REQUIRED) is followed by a masked password prompt. Only what the
 * prompt needs is imported here: it is shown before the rest of the client has loaded.
 */
export async function promptForName(login: LoginWith, streams: Streams): Promise<LoginOk> {
  let accepted: LoginOk | undefined;
  let registered: string | undefined;
  await input(
    {
      message: 'Choose a user name:',
      // A refused name leaves the field: what is typed next is a new name, not an addition to it.
      theme: { validationFailureMode: 'clear' },
      validate: async (value: string) => {
        const check = checkUserName(value.trim());
        if (!check.ok) return `Invalid name: ${check.reason}.`;
        try {
          accepted = await login(check.name);
          return true;
        } catch (err) {
          if (codeOf(err) === 'PASSWORD_REQUIRED') {
            registered = check.name;
            return true;
          }
          return describe(err);
        }
      },
    },
    options(streams),
  );
  if (!accepted && registered !== undefined) accepted = await promptForPassword(login, registered, streams);
  if (!accepted) throw new Error('name prompt ended without a login');
  return accepted;
}

/** The password of a registered name, masked, asked until it is right (or the coordinator limits the tries). */
export async function promptForPassword(login: LoginWith, name: string, streams: Streams): Promise<LoginOk> {
  let accepted: LoginOk | undefined;
  await password(
    {
      message: `"${name}" is registered. Password:`,
      mask: '*',
      validate: async (value: string) => {
        if (value.length === 0) return 'Type the password (Ctrl+C to leave).';
        try {
          accepted = await login(name, value);
          return true;
        } catch (err) {
          return describe(err);
        }
      },
    },
    options(streams),
  );
  if (!accepted) throw new Error('password prompt ended without a login');
  return accepted;
}
