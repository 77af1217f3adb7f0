import { ERROR_CODES, WarrenError, checkPassword, type ChatSend, type CommandRequest } from '../../shared/index.js';
import { RateLimitedError, type RateLimitKind, type RateLimits } from '../rate-limits/rate-limits.js';
import type { Registry } from '../state/registry.js';
import type { AccountStore } from '../store/account-store.js';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword, type ScryptParams } from './password-hash.js';

/**
 * What is decided about an input before the coordinator's synchronous batch handles it: the
 * asynchronous work (scrypt on the thread pool, the rate limiter's store), done first so that the
 * handlers stay synchronous and the group commit never waits on it. server/input/admission-gate.ts
 * runs it and keeps each sender's inputs in order around it.
 */
export interface Admitted {
  /** A refusal decided already (RATE_LIMITED, PASSWORD_WRONG, PASSWORD_TOO_SHORT...): the handler is not run. */
  refusal?: WarrenError;
  /** login: the password opened this account, whose stored hash was `hash` (the handler checks it is still the same). */
  verified?: { nameKey: string; hash: string };
  /** register: the scrypt hash of the new password. */
  passwordHash?: string;
}

export interface AdmissionDeps {
  accounts: AccountStore;
  registry: Registry;
  rateLimits: RateLimits;
  scrypt?: ScryptParams;
}

/**
 * True when admitting `value` is asynchronous work (a password hash, tens of milliseconds; a
 * rate limit's count): the gate parks its sender meanwhile. A chat line or a new room whose limit
 * is switched off has nothing to admit, and goes on in the same turn.
 */
export function needsAdmission(value: ChatSend | CommandRequest, rateLimits?: Pick<RateLimits, 'isLimited'>): boolean {
  switch (value.type) {
    case 'chat':
      return rateLimits?.isLimited('message') ?? true;
    case 'create_room':
      return rateLimits?.isLimited('roomCreate') ?? true;
    case 'login':
    case 'register':
      return true;
    default:
      return false;
  }
}

/**
 * `sender`: the broker user that published the input (its verified `user_id`), when it has one;
 * login limits are keyed on it rather than on the `clientId` the body claims.
 */
export async function admit(value: ChatSend | CommandRequest, deps: AdmissionDeps, sender?: string): Promise<Admitted> {
  try {
    switch (value.type) {
      case 'chat':
        await takeFor(deps, 'message', value.token);
        return {};
      case 'create_room':
        await takeFor(deps, 'roomCreate', value.token);
        return {};
      case 'login':
        return await admitLogin(value, deps, sender ?? value.clientId);
      case 'register':
        return await admitRegister(value, deps);
      default:
        return {};
    }
  } catch (err) {
    if (err instanceof WarrenError) return { refusal: err };
    throw err;
  }
}

/** Counts against the sender's name (all of a user's sessions share one budget); an unknown token is refused later by the handler. */
async function takeFor(deps: AdmissionDeps, kind: RateLimitKind, token: string): Promise<void> {
  const nameKey = deps.registry.nameKeyOfToken(token);
  if (nameKey !== undefined) await deps.rateLimits.take(kind, nameKey);
}

type Login = Extract<CommandRequest, { type: 'login' }>;
type Register = Extract<CommandRequest, { type: 'register' }>;

async function admitLogin(request: Login, deps: AdmissionDeps, client: string): Promise<Admitted> {
  // Every attempt counts against the client, before any hashing: one client trying many names.
  await deps.rateLimits.take('loginByClient', client);
  const account = deps.accounts.find(request.name);
  const hash = deps.accounts.passwordHashOf(request.name);
  if (!account || hash === undefined || request.password === undefined) return {};
  // Password attempts count per (name, client), so a guesser locks out only itself, never the
  // owner on another client; and all clients together are held to a number of scrypt runs per
  // second, so a swarm of guessing ids (each one capped by the authority) cannot burn the CPU.
  const pair = `${account.nameKey}\u0000${client}`;
  await deps.rateLimits.take('loginByName', pair);
  await deps.rateLimits.take('passwordChecks', 'coordinator');
  if (!(await verifyPassword(request.password, hash))) {
    throw new WarrenError(ERROR_CODES.PASSWORD_WRONG, `wrong password for "${account.name}"`);
  }
  await deps.rateLimits.reset('loginByName', pair);
  return { verified: { nameKey: account.nameKey, hash } };
}

async function admitRegister(request: Register, deps: AdmissionDeps): Promise<Admitted> {
  const check = checkPassword(request.password);
  if (!check.ok) throw new WarrenError(check.code, check.reason);
  const session = deps.registry.withToken(request.token);
  // No session or a registered name: the handler refuses it, without the cost of a hash.
  if (!session || deps.accounts.exists(session.name)) return {};
  return { passwordHash: await hashPassword(check.password, deps.scrypt ?? DEFAULT_SCRYPT_PARAMS) };
}

export { RateLimitedError };
