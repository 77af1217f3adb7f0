import { input } from '@inquirer/prompts';
import type { LoginOk } from '../../shared/index.js';
import { checkUserName } from '../../shared/names.js';

/**
 * Asks for a user name until the coordinator accepts one. The rules are checked locally first for
 * an instant answer; the coordinator has the last word (a taken name, or a race lost). Only what
 * the prompt needs is imported here: it is shown before the rest of the client has loaded.
 */
export async function promptForName(
  login: (name: string) => Promise<LoginOk>,
  streams: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal },
): Promise<LoginOk> {
  let accepted: LoginOk | undefined;
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
          const code = (err as { code?: unknown }).code;
          const message = err instanceof Error ? err.message : String(err);
          return typeof code === 'string' ? `${message} [${code}]` : message;
        }
      },
    },
    { input: streams.input, output: streams.output, ...(streams.signal ? { signal: streams.signal } : {}) },
  );
  if (!accepted) throw new Error('name prompt ended without a login');
  return accepted;
}
