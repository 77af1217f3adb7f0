import type { ChalkInstance } from 'chalk';
import { DateTime } from 'luxon';
import {
  DEFAULT_ROOM,
  directPeer,
  formatDuration,
  isDirectRoom,
  type ChatEvent,
  type ConnectionStatus,
  type MessageRemoved,
  type PresenceEvent,
  type RoomEvent,
  type RoomInfo,
  type UserInfo,
  type WhoisInfo,
} from '../../shared/index.js';
import { COMMANDS, COMMAND_NAMES } from '../commands.js';
import { neutralize } from './sanitize.js';

export { mentions } from './mentions.js';

/**
 * Pure rendering: state in, lines out. Colour comes from the injected chalk instance (level 0 in
 * script mode); everything untrusted goes through `neutralize`.
 */
export interface MessageView {
  /** The room the user is looking at: messages of other rooms carry their room's name. */
  currentRoom: string;
  me: string | undefined;
  mentionsMe?: boolean;
}

const NAME_COLOURS = ['cyan', 'green', 'yellow', 'magenta', 'blue', 'red', 'cyanBright', 'greenBright', 'yellowBright', 'magentaBright'] as const;

export type Formatter = ReturnType<typeof createFormatter>;

export function createFormatter(chalk: ChalkInstance, options: { localTime: boolean }) {
  const zone = options.localTime ? 'local' : 'utc';
  const time = (iso: string): string => {
    const at = DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone);
    const today = DateTime.now().setZone(zone).hasSame(at, 'day');
    return at.toFormat(today ? 'HH:mm:ss' : 'yyyy-MM-dd HH:mm:ss');
  };
  const name = (raw: string): string => {
    const colour = NAME_COLOURS[hash(raw.toLowerCase()) % NAME_COLOURS.length] ?? 'cyan';
    return chalk.bold[colour](neutralize(raw));
  };
  const stamp = (iso: string): string => chalk.dim(`[${time(iso)}]`);
  const room = (raw: string): string => chalk.magenta(`#${neutralize(raw)}`);
  const notice = (text: string): string => `${chalk.dim('*')} ${text}`;

  const message = (event: ChatEvent, view: MessageView): string => {
    const mine = view.me !== undefined && event.from === view.me;
    const text = neutralize(event.text);
    const body = view.mentionsMe ? chalk.bgYellow.black(text) : text;
    const id = chalk.dim(`(${event.num})`);
    const where =
      event.to !== undefined
        ? chalk.red.bold(mine ? `[private → ${neutralize(event.to)}]` : '[private]')
        : event.room !== view.currentRoom
          ? room(event.room)
          : undefined;
    const extras = [
      event.editedAt ? chalk.dim('(edited)') : undefined,
      event.expiresAt ? chalk.dim(`(disappears at ${time(event.expiresAt)})`) : undefined,
    ].filter(Boolean);
    const head = [stamp(event.serverTs), id, where, `${name(event.from)}${mine ? chalk.dim(' (you)') : ''}:`].filter(Boolean).join(' ');
    return [head, body, ...extras].join(' ');
  };

  const roomLine = (info: RoomInfo, current: string): string => {
    const marker = info.name === current ? chalk.green('▸') : ' ';
    const kind = info.kind === 'secret' ? chalk.yellow(' (secret)') : '';
    const role = info.role === null ? chalk.dim('not a member') : info.role === 'admin' ? chalk.bold('admin') : 'member';
    const ttl = info.ttlMs ? chalk.dim(` · messages expire after ${formatDuration(info.ttlMs)}`) : '';
    return `${marker} ${room(info.name)}${kind} · ${info.online}/${info.members} online · ${role}${ttl}`;
  };

  return {
    message,
    time,
    presence: (event: PresenceEvent): string => {
      const what = event.event === 'joined' ? 'joined' : event.reason === 'timeout' ? 'left (connection timed out)' : 'left';
      return `${stamp(event.serverTs)} ${notice(`${name(event.name)} ${chalk.dim(`${what} · ${event.online} online`)}`)}`;
    },
    roomEvent: (event: RoomEvent): string => {
      const who = name(event.name);
      const by = event.by ? ` by ${name(event.by)}` : '';
      const text: Record<RoomEvent['event'], string> = {
        created: `${room(event.room)} was created by ${who}`,
        joined: `${who} joined ${room(event.room)}`,
        left: `${who} left ${room(event.room)}`,
        invited: `${who} was added to ${room(event.room)}${by}`,
        kicked: `${who} was removed from ${room(event.room)}${by}`,
        promoted: `${who} is now an admin of ${room(event.room)}${by}`,
        archived: `${who}'s guest name ended: your private chat with them is kept as ${room(event.renamedTo ?? event.room)}; a new ${who} starts afresh`,
        ttl: `${who} set new messages in ${room(event.room)} to ${event.ttlMs ? `disappear after ${formatDuration(event.ttlMs)}` : 'stay'}`,
      };
      return `${stamp(event.serverTs)} ${notice(text[event.event])}`;
    },
    removed: (event: MessageRemoved, author: string | undefined): string => {
      const whose = author ? ` from ${name(author)}` : '';
      const why = event.reason === 'expired' ? 'expired' : `was deleted${event.by ? ` by ${name(event.by)}` : ''}`;
      return `${stamp(event.serverTs)} ${notice(chalk.dim(`message (${event.num})${whose} ${why}`))}`;
    },
    edited: (num: number, text: string, editedAt: string): string =>
      `${stamp(editedAt)} ${notice(chalk.dim(`message (${num}) was edited: `) + neutralize(text))}`,
    users: (users: UserInfo[]): string[] => [chalk.dim(`Online (${users.length}): `) + users.map((user) => name(user.name)).join(', ')],
    rooms: (rooms: RoomInfo[], current: string): string[] => [chalk.dim(`Rooms (${rooms.length}):`), ...rooms.map((info) => roomLine(info, current))],
    whois: (info: WhoisInfo): string[] => [
      `${name(info.name)}: ${info.online ? chalk.green(`online since ${time(info.since ?? new Date().toISOString())}`) : chalk.dim('offline')}`,
      ...info.rooms.map((entry) => `  ${room(entry.name)} · ${entry.role}`),
    ],
    myMessages: (events: ChatEvent[]): string[] =>
      events.length === 0
        ? [chalk.dim('You have not sent any messages yet.')]
        : [chalk.dim(`Your messages (${events.length}):`), ...events.map((event) => `  ${stamp(event.serverTs)} ${chalk.dim(`(${event.num})`)} ${where(event)}${neutralize(event.text)}`)],
    history: (events: ChatEvent[], view: MessageView): string[] =>
      events.length === 0 ? [chalk.dim('No messages yet.')] : [chalk.dim(`Last ${events.length} message(s):`), ...events.map((event) => message(event, view))],
    help: (): string[] => [
      chalk.dim('Type a line to send it to the current room. Commands:'),
      ...COMMAND_NAMES.map((command) => `  ${chalk.bold(COMMANDS[command].usage.padEnd(28))} ${COMMANDS[command].help}`),
      chalk.dim('  Start a line with // to send a line that begins with /. Tab completes commands, names and rooms.'),
    ],
    welcome: (me: string, current: string, users: UserInfo[], rooms: RoomInfo[]): string[] => [
      chalk.bold(`Welcome to warren, ${neutralize(me)}! You are in #${current}.`),
      ...wrapWords(['Commands:', ...COMMAND_NAMES.map((command) => `/${command}`), '(/help for details)'], LINE_WIDTH).map((line) => chalk.dim(line)),
      chalk.dim(`Online (${users.length}): `) + users.map((user) => name(user.name)).join(', '),
      ...(rooms.length > 1 ? [chalk.dim('Your rooms: ') + rooms.map((info) => room(info.name)).join(', ')] : []),
    ],
    /** Nothing once `online` reaches the threshold: the login that reaches it is answered before the chat's activation. */
    waiting: (minUsers: number, online: number): string | undefined =>
      online >= minUsers
        ? undefined
        : chalk.yellow(`⏳ The chat starts when ${minUsers} users have been online at once (${online} now). Messages you send are kept until then.`),
    activated: (): string => chalk.green('✔ The chat is active. Messages sent while waiting follow.'),
    status: (status: ConnectionStatus): string | undefined => {
      switch (status.state) {
        case 'connected':
          return chalk.green('✔ connected');
        case 'disconnected':
          return chalk.yellow(`⚠ connection lost (${neutralize(status.reason)})`);
        case 'reconnecting':
          return chalk.yellow(`… reconnecting (attempt ${status.attempt}, next try in ${(status.delayMs / 1000).toFixed(1)} s)`);
        case 'failed':
          return chalk.red(`✗ ${neutralize(status.error.message)}`);
        default:
          return undefined;
      }
    },
    // These carry wire strings too (an error's message, a private status's recipient, a reply's
    // text): neutralised here, once, whoever calls them.
    info: (text: string): string => chalk.dim(neutralize(text)),
    ok: (text: string): string => chalk.green(`✓ ${neutralize(text)}`),
    error: (code: string, text: string): string => chalk.red(`✗ ${neutralize(text)}`) + chalk.dim(` [${neutralize(code)}]`),
  };

  function where(event: ChatEvent): string {
    if (event.to !== undefined) return chalk.red(`[private → ${neutralize(event.to)}] `);
    return event.room === DEFAULT_ROOM ? '' : `${room(event.room)} `;
  }
}

/** The narrowest terminal the fixed texts are written for. */
export const LINE_WIDTH = 80;

/** Words joined by spaces into lines of at most `width` columns (a longer word gets a line of its own). */
export function wrapWords(words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && [...line].length + 1 + [...word].length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

function hash(text: string): number {
  let value = 0;
  for (const char of text) value = (value * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return value;
}

/** The other person of a private chat, for display. */
export function privatePeer(room: string, me: string): string | undefined {
  return isDirectRoom(room) ? directPeer(room, me) : undefined;
}
