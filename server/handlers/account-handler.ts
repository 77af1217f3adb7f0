import { ERROR_CODES, WarrenError, type CommandRequest } from '../../shared/index.js';
import { emptyOutcome, type Outcome } from '../outcome.js';
import type { Session } from '../state/registry.js';
import type { HandlerContext } from './context.js';

type Register = Extract<CommandRequest, { type: 'register' }>;
type Login = Extract<CommandRequest, { type: 'login' }>;

/**
 * `/register`: the logged-in guest's name becomes an account. The hash was made before the batch
 * (server/accounts/admission.ts); the password policy was checked there too. From now on the name
 * keeps its rooms, roles, private chats and /mymsgs across sessions, and needs the password.
 */
export function register(request: Register, session: Session, ctx: HandlerContext): Outcome {
  const existing = ctx.accounts.find(session.name);
  if (existing) throw new WarrenError(ERROR_CODES.ACCOUNT_EXISTS, `the name "${existing.name}" is registered already`);
  const hash = ctx.admitted?.passwordHash;
  // Only an input that skipped admission (a coordinator fault logged by the gate) gets here.
  if (hash === undefined) throw new WarrenError(ERROR_CODES.INTERNAL, 'the password could not be hashed; try again');
  const account = ctx.accounts.registerHashed(session.name, hash, ctx.now);
  const outcome = emptyOutcome();
  outcome.log.push({ kind: 'REGISTERED', serverTs: ctx.now.toISOString(), name: account.name });
  outcome.replies.push({ queue: session.replyQueue, body: { type: 'register.ok', requestId: request.requestId, name: account.name } });
  return outcome;
}

/**
 * The name a login may take: a registered name (or a look-alike of it) only with its password,
 * verified before the batch, and then always under the account's own spelling. Undefined for a
 * guest name (nobody registered it or anything that looks like it).
 */
export function accountNameFor(request: Login, ctx: HandlerContext): string | undefined {
  const account = ctx.accounts.find(request.name);
  if (!account) return undefined;
  if (request.password === undefined) {
    throw new WarrenError(ERROR_CODES.PASSWORD_REQUIRED, `"${account.name}" is a registered name; log in with its password`);
  }
  const verified = ctx.admitted?.verified;
  // The hash compared is the one the password was verified against: a change since then does not count.
  if (verified?.nameKey !== account.nameKey || verified.hash !== ctx.accounts.passwordHashOf(account.name)) {
    throw new WarrenError(ERROR_CODES.PASSWORD_WRONG, `wrong password for "${account.name}"`);
  }
  return account.name;
}
