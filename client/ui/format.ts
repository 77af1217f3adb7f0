import type { ChalkInstance } from 'chalk';
import { DateTime } from 'luxon';
import type { ChatEvent, ConnectionStatus, PresenceEvent, UserInfo } from '../../shared/index.js';
import { COMMANDS, COMMAND_NAMES } from '../commands.js';
import { neutralize } from './sanitize.js';

/**
 * Pure rendering: state in, lines out. Colour comes from the injected chalk instance (level 0 in
 * script mode); everything untrusted goes through `neutralize`.
 */
export interface Formatter {
  message(event: ChatEvent, options?: { mine?: boolean; mentionsMe?: boolean }): string;
  presence(event: PresenceEvent): string;
  users(users: UserInfo[]): string[];
  myMessages(events: ChatEvent[]): string[];
  history(events: ChatEvent[]): string[];
  help(): string[];
  welcome(name: string, room: string, users: UserInfo[]): string[];
  status(status: ConnectionStatus): string | undefined;
  info(text: string): string;
  error(code: string, text: string): string;
}

const NAME_COLOURS = ['cyan', 'green', 'yellow', 'magenta', 'blue', 'red', 'cyanBright', 'greenBright', 'yellowBright', 'magentaBright'] as const;

export function createFormatter(chalk: ChalkInstance, options: { localTime: boolean; me?: () => string | undefined }): Formatter {
  const zone = options.localTime ? 'local' : 'utc';
  const time = (iso: string): string => {
    const at = DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone);
    const today = DateTime.now().setZone(zone).hasSame(at, 'day');
    return at.toFormat(today ? 'HH:mm:ss' : 'yyyy-MM-dd HH:mm:ss');
  };
  const name = (raw: string): string => {
    const safe = neutralize(raw);
    const colour = NAME_COLOURS[hash(raw.toLowerCase()) % NAME_COLOURS.length] ?? 'cyan';
    return chalk.bold[colour](safe);
  };
  const stamp = (iso: string): string => chalk.dim(`[${time(iso)}]`);
  const message = (event: ChatEvent, flags: { mine?: boolean; mentionsMe?: boolean } = {}): string => {
    const text = neutralize(event.text);
    const body = flags.mentionsMe ? chalk.bgYellow.black(text) : text;
    return `${stamp(event.serverTs)} ${name(event.from)}${flags.mine ? chalk.dim(' (you)') : ''}: ${body}`;
  };
  return {
    message,
    presence: (event) => {
      const what = event.event === 'joined' ? 'joined' : event.reason === 'timeout' ? 'left (connection timed out)' : 'left';
      return `${stamp(event.serverTs)} ${chalk.dim('*')} ${name(event.name)} ${chalk.dim(`${what} · ${event.online} online`)}`;
    },
    users: (users) => [chalk.dim(`Online (${users.length}): `) + users.map((user) => name(user.name)).join(', ')],
    myMessages: (events) =>
      events.length === 0
        ? [chalk.dim('You have not sent any messages yet.')]
        : [chalk.dim(`Your messages (${events.length}):`), ...events.map((event) => `  ${stamp(event.serverTs)} ${neutralize(event.text)}`)],
    history: (events) =>
      events.length === 0
        ? [chalk.dim('No messages yet.')]
        : [chalk.dim(`Last ${events.length} message(s):`), ...events.map((event) => message(event))],
    help: () => [
      chalk.dim('Type a line to send it to everyone. Commands:'),
      ...COMMAND_NAMES.map((command) => `  ${chalk.bold(COMMANDS[command].usage.padEnd(14))} ${COMMANDS[command].help}`),
      chalk.dim('  Start a line with // to send a line that begins with /. Tab completes commands and names.'),
    ],
    welcome: (me, room, users) => [
      chalk.bold(`Welcome to warren, ${neutralize(me)}! You are in #${room}.`),
      ...[
        chalk.dim(`Commands: ${COMMAND_NAMES.map((command) => `/${command}`).join(' ')}  (/help for details)`),
        chalk.dim(`Online (${users.length}): `) + users.map((user) => name(user.name)).join(', '),
      ],
    ],
    status: (status) => {
      switch (status.state) {
        case 'connected':
          return chalk.green('✔ connected');
        case 'disconnected':
          return chalk.yellow(`⚠ connection lost (${status.reason})`);
        case 'reconnecting':
          return chalk.yellow(`… reconnecting (attempt ${status.attempt}, next try in ${(status.delayMs / 1000).toFixed(1)} s)`);
        case 'failed':
          return chalk.red(`✗ ${status.error.message}`);
        default:
          return undefined;
      }
    },
    info: (text) => chalk.dim(text),
    error: (code, text) => chalk.red(`✗ ${text}`) + chalk.dim(` [${code}]`),
  };
}

function hash(text: string): number {
  let value = 0;
  for (const char of text) value = (value * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return value;
}

/** True when the text names `me` as @me (case-insensitive, not part of a longer name). */
export function mentions(text: string, me: string): boolean {
  const escaped = me.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_.-])@${escaped}(?![\\p{L}\\p{N}_-])`, 'iu').test(text);
}
