import { input, password } from '@inquirer/prompts';
import { ERROR_CODES, checkUserName, isWarrenError, type LoginOk } from '../../shared/index.js';
import type { WarrenClient } from '../lib/warren-client.js';

type Streams = { input: NodeJS.ReadableStream; output: NodeJS.WritableStream };

/**
 * Asks for a user name until the coordinator accepts one. The rules are checked locally first for
 * an instant answer; the coordinator has the last word (a taken name, or a race lost). A
 * registered name (PASSWORD_REQUIRED) is followed by a masked password prompt.
 */
export async function promptForName(client: WarrenClient, streams: Streams): Promise<LoginOk> {
  let login: LoginOk | undefined;
  let registered: string | undefined;
  await input(
    {
      message: 'Choose a user name:',
      validate: async (value: string) => {
        const check = checkUserName(value.trim());
        if (!check.ok) return `Invalid name: ${check.reason}.`;
        try {
          login = await client.login(check.name);
          return true;
        } catch (err) {
          if (isWarrenError(err, ERROR_CODES.PASSWORD_REQUIRED)) {
            registered = check.name;
            return true;
          }
          return isWarrenError(err) ? `${err.message} [${err.code}]` : String(err);
        }
      },
    },
    { input: streams.input, output: streams.output },
  );
  if (!login && registered !== undefined) login = await promptForPassword(client, registered, streams);
  if (!login) throw new Error('name prompt ended without a login');
  return login;
}

/** The password of a registered name, masked, asked until it is right (or the coordinator limits the tries). */
export async function promptForPassword(client: WarrenClient, name: string, streams: Streams): Promise<LoginOk> {
  let login: LoginOk | undefined;
  await password(
    {
      message: `"${name}" is registered. Password:`,
      mask: '*',
      validate: async (value: string) => {
        if (value.length === 0) return 'Type the password (Ctrl+C to leave).';
        try {
          login = await client.login(name, value);
          return true;
        } catch (err) {
          return isWarrenError(err) ? `${err.message} [${err.code}]` : String(err);
        }
      },
    },
    { input: streams.input, output: streams.output },
  );
  if (!login) throw new Error('password prompt ended without a login');
  return login;
}
