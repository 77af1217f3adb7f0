import { admit, type Admitted } from '../../server/accounts/admission.js';
import { handleChat } from '../../server/handlers/chat-handler.js';
import { handleCommand } from '../../server/handlers/command-handler.js';
import type { HandlerContext } from '../../server/handlers/context.js';
import type { Outcome } from '../../server/outcome.js';
import { Activation } from '../../server/state/activation.js';
import { MemoryRateLimits, type RateRules } from '../../server/rate-limits/rate-limits.js';
import { Registry } from '../../server/state/registry.js';
import { AccountStore } from '../../server/store/account-store.js';
import type { SqlStore } from '../../server/store/sql-store.js';
import { STORE_ENGINES, type StoreEngine } from './store-engines.js';
import { DEFAULT_ROOM, isWarrenError, topologyFor, type ChatSend, type CommandRequest, type ServerMessage, type Topology } from '../../shared/index.js';

/** The fixed clock every kit starts at; `advance` moves it. */
export const KIT_START = new Date('2026-03-01T12:00:00.000Z');

export interface KitUser {
  name: string;
  token: string;
  queue: string;
}

type Unsigned<T> = T extends unknown ? Omit<T, 'token' | 'requestId'> & { requestId?: string } : never;
export type CommandOf = Unsigned<Exclude<CommandRequest, { type: 'login' }>>;

export interface HandlerKit {
  store: SqlStore;
  accounts: AccountStore;
  registry: Registry;
  activation: Activation;
  topology: Topology;
  /** Every expiry a handler asked for, in order. */
  scheduled: { num: number; expiresAt: string }[];
  now(): Date;
  advance(ms: number): void;
  /** A context as the coordinator builds it, at the kit's clock. */
  context(replyTo?: string, admitted?: Admitted): HandlerContext;
  /** Logs in as a warren client would (its own queue as replyTo); returns the user and the outcome. */
  login(name: string): { user: KitUser; outcome: Outcome };
  command(user: KitUser, request: CommandOf): Outcome;
  say(user: KitUser, text: string, extra?: Partial<Omit<ChatSend, 'type' | 'token' | 'text'>>): Outcome;
  /**
   * As the coordinator does: admission first (rate limits, scrypt; server/accounts/admission.ts),
   * then the handler. A refusal decided in admission is thrown as the WarrenError it is.
   */
  admitted(request: CommandRequest | ChatSend, replyTo?: string): Promise<Outcome>;
  /** A login with a password (or none) through admission; the outcome, or the refusal thrown. */
  loginWith(name: string, password?: string, clientId?: string): Promise<{ user: KitUser; outcome: Outcome }>;
  /** `/register` through admission. */
  register(user: KitUser, password: string): Promise<Outcome>;
  /** Deletes the temp folder. */
  close(): void;
}

export interface HandlerKitOptions {
  minUsers?: number;
  historyOnJoin?: number;
  sessionTimeoutMs?: number;
  /** Rate limits for `admitted`/`loginWith`; all off by default. */
  rateRules?: RateRules;
  /** The store's engine (tests/support/store-engines.ts); SQLite when not given. */
  engine?: StoreEngine;
}

/**
 * The handlers with what they really run on: a real store (SQLite in a temp folder, or a PostgreSQL schema), a registry, the
 * activation threshold, a fixed clock. No broker: tests assert on the `Outcome` a handler returns.
 */
export function handlerKit(options: HandlerKitOptions = {}): HandlerKit {
  const engine: StoreEngine = options.engine ?? (STORE_ENGINES[0] as StoreEngine);
  const place = engine.place();
  const store = place.open();
  // The cheapest cost the hash module accepts: the tests check the logic, not the cost.
  const scrypt = { logN: 10, r: 8, p: 1 };
  const accounts = new AccountStore(store.database, scrypt);
  const rateLimits = new MemoryRateLimits(options.rateRules ?? { message: null, roomCreate: null, loginByName: null, loginByClient: null, passwordChecks: null });
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 15_000;
  let now = new Date(KIT_START);
  const registry = new Registry(store, sessionTimeoutMs, now.getTime());
  const activation = new Activation(store, options.minUsers ?? 1);
  const topology = topologyFor('handlers');
  const scheduled: HandlerKit['scheduled'] = [];
  let counter = 0;
  const nextId = (prefix: string): string => `${prefix}-${(counter += 1)}`;

  const context = (replyTo?: string, admitted?: Admitted): HandlerContext => ({
    registry,
    store,
    accounts,
    admitted,
    topology,
    activation,
    expiry: { schedule: (num, expiresAt) => scheduled.push({ num, expiresAt }) },
    limits: { historyOnJoin: options.historyOnJoin ?? 20, sessionTimeoutMs, heartbeatIntervalMs: Math.max(100, Math.floor(sessionTimeoutMs / 3)) },
    now,
    replyTo,
  });

  const admitted = async (request: CommandRequest | ChatSend, replyTo?: string): Promise<Outcome> => {
    const decided = await admit(request, { accounts, registry, rateLimits, scrypt });
    if (decided.refusal) throw decided.refusal;
    const ctx = context(replyTo, decided);
    return request.type === 'chat' ? handleChat(request, ctx) : handleCommand(request, ctx);
  };

  return {
    store,
    accounts,
    registry,
    activation,
    topology,
    scheduled,
    now: () => now,
    advance: (ms) => {
      now = new Date(now.getTime() + ms);
    },
    context,
    login(name) {
      const clientId = `client-${name.toLowerCase()}`;
      const queue = topology.clientQueue(clientId);
      const outcome = handleCommand({ type: 'login', requestId: nextId('login'), name, clientId }, context(queue));
      const ok = replyOfType(outcome, 'login.ok');
      return { user: { name: ok.name, token: ok.token, queue }, outcome };
    },
    command(user, request) {
      return handleCommand({ requestId: nextId('req'), ...request, token: user.token } as CommandRequest, context());
    },
    say(user, text, extra = {}) {
      const send: ChatSend = { type: 'chat', id: nextId('msg'), token: user.token, from: user.name, room: DEFAULT_ROOM, text, clientTs: now.toISOString(), ...extra };
      return handleChat(send, context());
    },
    admitted,
    async loginWith(name, password, clientId = `client-${name.toLowerCase()}`) {
      const queue = topology.clientQueue(clientId);
      const request: CommandRequest = { type: 'login', requestId: nextId('login'), name, clientId, ...(password === undefined ? {} : { password }) };
      const outcome = await admitted(request, queue);
      const ok = replyOfType(outcome, 'login.ok');
      return { user: { name: ok.name, token: ok.token, queue }, outcome };
    },
    register(user, password) {
      return admitted({ type: 'register', requestId: nextId('req'), token: user.token, password });
    },
    close() {
      store.close();
      place.remove();
    },
  };
}

/** The code of the WarrenError `fn` throws (a refused request); fails the test if it throws none. */
export function refusedWith(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isWarrenError(err)) return err.code;
    throw err;
  }
  throw new Error('expected the handler to refuse, but it accepted');
}

/** The one reply of this type, narrowed. */
export function replyOfType<T extends ServerMessage['type']>(outcome: Outcome, type: T, queue?: string): Extract<ServerMessage, { type: T }> {
  const found = outcome.replies.filter((reply) => reply.body.type === type && (queue === undefined || reply.queue === queue));
  if (found.length !== 1) throw new Error(`expected one ${type} reply${queue ? ` to ${queue}` : ''}, found ${found.length}`);
  return found[0]!.body as Extract<ServerMessage, { type: T }>;
}

/** Queues that got a copy of a body of this type. */
export function queuesOf(outcome: Outcome, type: ServerMessage['type']): string[] {
  return outcome.replies.filter((reply) => reply.body.type === type).map((reply) => reply.queue);
}

/** Routing keys of the events of this type. */
export function routingKeysOf(outcome: Outcome, type: ServerMessage['type']): string[] {
  return outcome.events.filter((event) => event.body.type === type).map((event) => event.routingKey);
}
