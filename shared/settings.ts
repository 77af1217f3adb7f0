import { CommanderError, Option, type Command } from 'commander';
import { z } from 'zod';
import { ERROR_CODES, WarrenError } from './errors.js';
import { NODE_ORDERS, brokerUrls, redactUrl, type NodeOrder } from './broker-urls.js';
import { isValidNamespace } from './topology.js';

/**
 * One configuration setting: read from an environment variable, overridden by a flag, validated
 * by a schema. The entry points (server/main.ts, client/main.ts) are the only readers of
 * process.env; they hand it to `resolveSettings` and pass the typed result down.
 */
export interface Setting<T> {
  env?: string;
  /** Long flag without dashes, e.g. `amqp-url`; a boolean setting takes no value. */
  flag: string;
  description: string;
  default: T;
  schema: z.ZodType<T, unknown>;
  boolean?: boolean;
}

export type SettingsTable = Record<string, Setting<unknown>>;
export type SettingsOf<T extends SettingsTable> = { [K in keyof T]: T[K] extends Setting<infer V> ? V : never };

export function setting<T>(definition: Setting<T>): Setting<T> {
  return definition;
}

export const booleanFromText = z.union(
  [
    z.boolean(),
    z.enum(['1', 'true', 'yes', 'on']).transform(() => true),
    z.enum(['0', 'false', 'no', 'off', '']).transform(() => false),
  ],
  { error: 'must be one of 1, true, yes, on, 0, false, no, off' },
);

/** A whole number typed as digits (a blank or `0x10` is refused, not read as 0 or 16), within bounds. */
export function wholeNumber(min: number, max: number): z.ZodType<number, unknown> {
  return z
    .unknown()
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
      ctx.addIssue({ code: 'custom', message: 'must be a whole number' });
      return z.NEVER;
    })
    .pipe(z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/**
 * An AMQP URL as amqplib takes it: amqp:// or amqps://, a host, an optional port in range, and no
 * white space anywhere (the URL parser would silently drop a tab or a new line, the broker would not).
 */
export const amqpUrlSchema = z
  .string()
  .regex(/^amqps?:\/\/\S+$/, 'must be an amqp:// or amqps:// URL')
  .refine((value) => {
    try {
      return new URL(value).hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an amqp:// or amqps:// URL with a host and a valid port');

/**
 * AMQP_URL: one URL, or every node of a cluster as a comma-separated list (no spaces), each entry
 * checked as `amqpUrlSchema`; a bad entry is named by its position, its password hidden.
 */
export const amqpUrlListSchema = z.string().superRefine((value, ctx) => {
  const urls = brokerUrls(value);
  urls.forEach((url, index) => {
    const result = amqpUrlSchema.safeParse(url);
    if (result.success) return;
    const which = urls.length === 1 ? '' : `entry ${index + 1} of ${urls.length} (${JSON.stringify(redactUrl(url))}) `;
    ctx.addIssue({ code: 'custom', message: `${which}${result.error.issues[0]?.message ?? 'invalid'}` });
  });
});

/** The namespace setting's rule, shared by both entry points (each describes the setting its own way). */
export const namespaceSchema = z.string().refine(isValidNamespace, 'lowercase letters, digits, _ and -, at most 64, starting with a letter or digit');

/** The broker to connect to: one definition for both entry points (server/config.ts, client/config.ts). */
export const AMQP_URL_SETTING = setting({
  env: 'AMQP_URL',
  flag: 'amqp-url',
  description: 'RabbitMQ to connect to; for a cluster, every node as a comma-separated list (the next one is tried when a node goes; where to start: --amqp-node-order)',
  default: 'amqp://guest:guest@localhost:5672',
  schema: amqpUrlListSchema,
});

/**
 * The AMQP heartbeat: a node that stops answering (host down, network cut, a frozen VM) is taken
 * for gone after about two missed intervals, and the connection moves to the next node. A node
 * killed on a live host closes its sockets and is noticed at once, whatever this is.
 */
export const AMQP_HEARTBEAT_SETTING = setting({
  env: 'WARREN_AMQP_HEARTBEAT',
  flag: 'amqp-heartbeat',
  description: 'seconds between AMQP heartbeats; a silent broker node is given up after about two (0: none)',
  default: 5,
  schema: wholeNumber(0, 600),
});

/**
 * Where a connection starts in an AMQP_URL list (shared/broker-urls.ts NodeOrder): `spread` at a
 * random node, so the programs given one list share the cluster's nodes out, or `listed` at the
 * first. Either way it moves on round the list in the listed order when its node goes. One
 * definition for every entry point (the coordinator, the client, the web gateway, the standby).
 */
export const AMQP_NODE_ORDER_SETTING = setting<NodeOrder>({
  env: 'WARREN_AMQP_NODE_ORDER',
  flag: 'amqp-node-order',
  description: 'where to start in an AMQP_URL list of several nodes: spread (at a random node, so clients share the nodes out) or listed (at the first); the next node is tried round the list in the listed order when one goes',
  default: 'spread',
  schema: z.enum(NODE_ORDERS, { error: `must be ${NODE_ORDERS.join(' or ')}` }),
});

/** Adds one flag per setting; help shows the variable and the default. */
export function addSettingFlags(command: Command, table: SettingsTable): Command {
  for (const [key, spec] of Object.entries(table)) {
    const fallback = spec.default === undefined ? '' : ` (default: ${JSON.stringify(spec.default)})`;
    const help = `${spec.description}${spec.env ? ` [env ${spec.env}]` : ''}${fallback}`;
    const option = new Option(spec.boolean ? `--${spec.flag}` : `--${spec.flag} <value>`, help);
    option.attributeName = () => key;
    command.addOption(option);
  }
  return command;
}

/** flag ?? environment ?? default, each validated; the first problem becomes a CONFIG_INVALID error. */
export function resolveSettings<T extends SettingsTable>(
  table: T,
  flags: Record<string, unknown>,
  env: Record<string, string | undefined>,
): SettingsOf<T> {
  const resolved: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const fromFlag = flags[key];
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    const source = fromFlag !== undefined ? `--${spec.flag}` : fromEnv !== undefined ? spec.env : undefined;
    const raw = fromFlag !== undefined ? fromFlag : fromEnv !== undefined && fromEnv !== '' ? fromEnv : spec.default;
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      const reason = result.error.issues[0]?.message ?? 'invalid';
      throw new WarrenError(ERROR_CODES.CONFIG_INVALID, `${source ?? key}: ${reason} (got ${JSON.stringify(raw)})`);
    }
    resolved[key] = result.data;
  }
  return resolved as SettingsOf<T>;
}

export type EntryPointSettings<T> = { ok: true; settings: T } | { ok: false; exitCode: number; message?: string };

/**
 * For the entry points: flags and environment to validated settings. `--help` and a bad value
 * come back as an exit code (2 for a bad value or an unknown flag, with a message naming the
 * variable or flag) instead of being thrown, so every program reports them the same way.
 */
export function settingsForEntryPoint<T extends SettingsTable>(
  command: Command,
  table: T,
  argv: string[],
  env: Record<string, string | undefined>,
): EntryPointSettings<SettingsOf<T>> {
  const parser = addSettingFlags(command, table).exitOverride();
  try {
    parser.parse(argv, { from: 'user' });
    return { ok: true, settings: resolveSettings(table, parser.opts(), env) };
  } catch (err) {
    // Commander has printed its own message; 0 after --help, and bad usage is 2 like a bad value.
    if (err instanceof CommanderError) return { ok: false, exitCode: err.exitCode === 0 ? 0 : 2 };
    if (err instanceof WarrenError) return { ok: false, exitCode: 2, message: `✗ ${err.message} [${err.code}]` };
    throw err;
  }
}

/**
 * TCP_NODELAY on the broker socket (amqplib leaves Nagle's algorithm on unless told): small
 * messages go out at once instead of waiting for the previous segment's ACK. One definition for
 * both entry points; the value takes `true`/`false` (a flag with a value, so it can be turned off).
 */
export const AMQP_NO_DELAY_SETTING = setting({
  env: 'WARREN_AMQP_NO_DELAY',
  flag: 'amqp-no-delay',
  description: "send small AMQP frames at once (TCP_NODELAY, Nagle's algorithm off): true or false",
  default: true,
  schema: booleanFromText,
});

/**
 * Open mode: everyone is `guest` on a plain broker, nothing is checked by the broker. Off by
 * default (secure mode); one definition for both entry points, which print a warning when it is on.
 */
export const INSECURE_OPEN_BROKER_SETTING = setting({
  env: 'WARREN_INSECURE_OPEN_BROKER',
  flag: 'insecure-open-broker',
  description: 'INSECURE: run against a plain broker where everyone is guest; anyone on that broker can read and forge everything',
  default: false,
  schema: booleanFromText,
  boolean: true,
});

/** A broker user name of our own making: not a client id shape, not guest, nothing a URL or a log would mangle. */
export const brokerUserSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/, 'a letter, then letters, digits, ".", "_" or "-", at most 64')
  .refine((value) => value !== 'guest' && value !== 'admin' && value !== 'warren-authority', 'must not be guest, admin or warren-authority')
  .refine((value) => !/^c-/.test(value), 'must not start with "c-" (that is how client ids look)');

/** Who the coordinator is at the broker; clients accept deliveries only from this user (secure mode). */
export const COORDINATOR_USER_SETTING = setting({
  env: 'WARREN_COORDINATOR_USER',
  flag: 'coordinator-user',
  description: "the coordinator's broker user; clients trust only what it publishes (must match on both sides)",
  default: 'warren-coordinator',
  schema: brokerUserSchema,
});

/** The printed warning of open mode: the same plain words from the coordinator and every client. */
export const OPEN_BROKER_WARNING =
  'WARNING: insecure open-broker mode (WARREN_INSECURE_OPEN_BROKER): everyone is guest on this broker, ' +
  'so anyone who can reach it can read every message, private ones included, and forge messages from anyone, the coordinator included.';
