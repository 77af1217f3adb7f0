import { input } from '@inquirer/prompts';
import { checkUserName, isWarrenError, type LoginOk } from '../../shared/index.js';
import type { WarrenClient } from '../lib/warren-client.js';

/**
 * Asks for a user name until the coordinator accepts one. The rules are checked locally first for
 * an instant answer; the coordinator has the last word (a taken name, or a race lost).
 */
export async function promptForName(
  client: WarrenClient,
  streams: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal },
): Promise<LoginOk> {
  let login: LoginOk | undefined;
  await input(
    {
      message: 'Choose a user name:',
      // A refused name leaves the field: what is typed next is a new name, not an addition to it.
      theme: { validationFailureMode: 'clear' },
      validate: async (value: string) => {
        const check = checkUserName(value.trim());
        if (!check.ok) return `Invalid name: ${check.reason}.`;
        try {
          login = await client.login(check.name);
          return true;
        } catch (err) {
          return isWarrenError(err) ? `${err.message} [${err.code}]` : String(err);
        }
      },
    },
    { input: streams.input, output: streams.output, ...(streams.signal ? { signal: streams.signal } : {}) },
  );
  if (!login) throw new Error('name prompt ended without a login');
  return login;
}
