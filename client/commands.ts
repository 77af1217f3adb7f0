// The modules themselves, not shared/index.js: the web page (client/web) parses commands with this file too.
import { ERROR_CODES, WarrenError } from '../shared/errors.js';
import { LIMITS } from '../shared/limits.js';
import { MAX_TTL_MS, MIN_TTL_MS, formatDuration, parseDuration } from '../shared/duration.js';

/** Every command the user can type, with its help line: the one source for /help, parsing and tab completion. */
export const COMMANDS = {
  msg: { usage: '/msg USER TEXT', help: 'a private message only USER and you see (also $private USER TEXT)' },
  users: { usage: '/users', help: 'who is online' },
  mymsgs: { usage: '/mymsgs', help: 'the messages you sent: this session for a guest name, every session for a registered one' },
  history: { usage: '/history [N]', help: 'the last N messages of the current room (default 20)' },
  rooms: { usage: '/rooms', help: 'rooms you can join, with members online and your role' },
  create: { usage: '/create ROOM [--secret]', help: 'a new room with you as its admin; --secret: invite-only and unlisted' },
  join: { usage: '/join ROOM', help: 'join a room and switch to it' },
  room: { usage: '/room ROOM', help: 'switch the room your lines go to' },
  leave: { usage: '/leave [ROOM]', help: 'leave a room (the current one by default)' },
  invite: { usage: '/invite USER [ROOM]', help: 'add USER to the room (admins only)' },
  kick: { usage: '/kick USER [ROOM]', help: 'remove USER from the room (admins only)' },
  promote: { usage: '/promote USER [ROOM]', help: 'make USER an admin of the room (admins only)' },
  whois: { usage: '/whois USER', help: "USER's presence and role in your rooms" },
  edit: { usage: '/edit ID TEXT', help: 'change one of your messages' },
  delete: { usage: '/delete ID', help: 'delete your message, or any in a room you administer' },
  ttl: { usage: '/ttl DURATION TEXT', help: 'a message that disappears after DURATION (30s, 5m, 2h, 1d)' },
  roomttl: { usage: '/roomttl DURATION|off [ROOM]', help: "the room's default time-to-live for new messages (admins only)" },
  register: { usage: '/register', help: 'register your name with a password (asked twice, hidden): then only you can use it, and it keeps your rooms, private chats and /mymsgs' },
  help: { usage: '/help', help: 'this list' },
  exit: { usage: '/exit', help: 'leave the chat and free your name (also /quit, Ctrl+C, Ctrl+D)' },
} as const;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

const ALIASES: Record<string, CommandName> = { quit: 'exit', q: 'exit', who: 'users', '?': 'help', query: 'msg', part: 'leave', switch: 'room', del: 'delete' };

export type ParsedInput =
  | { kind: 'empty' }
  | { kind: 'say'; text: string; ttlMs?: number }
  | { kind: 'private'; to: string; text: string }
  | { kind: 'command'; name: 'users' | 'mymsgs' | 'help' | 'exit' | 'rooms' | 'register' }
  | { kind: 'command'; name: 'history'; count: number | undefined }
  | { kind: 'command'; name: 'create'; room: string; secret: boolean }
  | { kind: 'command'; name: 'join' | 'room'; room: string }
  | { kind: 'command'; name: 'leave'; room: string | undefined }
  | { kind: 'command'; name: 'invite' | 'kick' | 'promote'; user: string; room: string | undefined }
  | { kind: 'command'; name: 'whois'; user: string }
  | { kind: 'command'; name: 'edit'; num: number; text: string }
  | { kind: 'command'; name: 'delete'; num: number }
  | { kind: 'command'; name: 'roomttl'; ttlMs: number | null; room: string | undefined };

/**
 * One typed line to what it means. A line starting with `/` is a command; `//` sends a line
 * that starts with a slash; `$private USER TEXT` is the older form of /msg. Throws WarrenError
 * UNKNOWN_COMMAND, COMMAND_USAGE, TTL_INVALID or TEXT_TOO_LONG with a message for the user.
 */
export function parseInput(line: string): ParsedInput {
  const text = line.replace(/\r?\n$/, '');
  if (text.trim().length === 0) return { kind: 'empty' };
  if (text.startsWith('//')) return say(text.slice(1));
  if (/^\$private(\s|$)/i.test(text)) return privateMessage('msg', text.replace(/^\$private\s*/i, ''));
  if (!text.startsWith('/')) return say(text);
  const body = text.slice(1);
  const word = /^\S*/.exec(body)?.[0] ?? '';
  const rest = body.slice(word.length).trim();
  const args = rest.length === 0 ? [] : rest.split(/\s+/);
  const name = resolveCommand(word.toLowerCase());
  switch (name) {
    case 'msg':
      return privateMessage(name, rest);
    case 'history': {
      if (args.length > 1 || (args[0] !== undefined && !/^[1-9]\d{0,2}$/.test(args[0]))) {
        throw usage(name, `N must be a whole number from 1 to ${LIMITS.maxHistoryPage}`);
      }
      const count = args[0] === undefined ? undefined : Number(args[0]);
      if (count !== undefined && count > LIMITS.maxHistoryPage) throw usage(name, `N must be at most ${LIMITS.maxHistoryPage}`);
      return { kind: 'command', name, count };
    }
    case 'create': {
      const secret = args.includes('--secret');
      const names = args.filter((arg) => arg !== '--secret');
      if (names.length !== 1 || names[0]?.startsWith('--')) throw usage(name, 'give one room name, and --secret if it is invite-only');
      return { kind: 'command', name, room: names[0] ?? '', secret };
    }
    case 'join':
    case 'room':
      if (args.length !== 1) throw usage(name, 'give one room name');
      return { kind: 'command', name, room: args[0] ?? '' };
    case 'leave':
      if (args.length > 1) throw usage(name, 'give at most one room name');
      return { kind: 'command', name, room: args[0] };
    case 'invite':
    case 'kick':
    case 'promote':
      if (args.length < 1 || args.length > 2) throw usage(name, 'give a user name, and optionally a room');
      return { kind: 'command', name, user: stripAt(args[0] ?? ''), room: args[1] };
    case 'whois':
      if (args.length !== 1) throw usage(name, 'give one user name');
      return { kind: 'command', name, user: stripAt(args[0] ?? '') };
    case 'edit': {
      const [id, ...words] = args;
      const textAfterId = rest.slice((id ?? '').length).trim();
      if (id === undefined || words.length === 0) throw usage(name, 'give the message id and the new text');
      return { kind: 'command', name, num: messageId(name, id), text: checkLength(textAfterId) };
    }
    case 'delete':
      if (args.length !== 1) throw usage(name, 'give one message id');
      return { kind: 'command', name, num: messageId(name, args[0] ?? '') };
    case 'ttl': {
      const [duration] = args;
      const message = rest.slice((duration ?? '').length).trim();
      if (duration === undefined || message.length === 0) throw usage(name, 'give a duration and the text');
      return { kind: 'say', text: checkLength(message), ttlMs: ttl(duration) };
    }
    case 'roomttl': {
      if (args.length < 1 || args.length > 2) throw usage(name, 'give a duration or "off", and optionally a room');
      const value = args[0] ?? '';
      return { kind: 'command', name, ttlMs: value.toLowerCase() === 'off' ? null : ttl(value), room: args[1] };
    }
    case 'register':
      // A password typed on the command line would show on screen and stay in the line history.
      if (args.length > 0) throw usage(name, 'type /register alone: the password is asked for, hidden');
      return { kind: 'command', name };
    default:
      if (args.length > 0) throw usage(name, 'it takes no arguments');
      return { kind: 'command', name };
  }
}

function resolveCommand(word: string): CommandName {
  if (word in COMMANDS) return word as CommandName;
  const alias = ALIASES[word];
  if (alias) return alias;
  throw new WarrenError(
    ERROR_CODES.UNKNOWN_COMMAND,
    `unknown command /${word}; the commands are ${COMMAND_NAMES.map((command) => `/${command}`).join(', ')}`,
  );
}

function privateMessage(name: CommandName, rest: string): ParsedInput {
  const match = /^(\S+)\s+(.*\S.*)$/s.exec(rest);
  if (!match) throw usage(name, 'give the user name and the text');
  return { kind: 'private', to: stripAt(match[1] ?? ''), text: checkLength(match[2] ?? '') };
}

function say(text: string): ParsedInput {
  return { kind: 'say', text: checkLength(text) };
}

function checkLength(text: string): string {
  const length = [...text].length;
  if (length > LIMITS.maxTextLength) {
    throw new WarrenError(ERROR_CODES.TEXT_TOO_LONG, `the message is ${length} characters; the limit is ${LIMITS.maxTextLength}`);
  }
  return text;
}

function ttl(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < MIN_TTL_MS || ms > MAX_TTL_MS) {
    throw new WarrenError(
      ERROR_CODES.TTL_INVALID,
      `"${text}" is not a duration from ${formatDuration(MIN_TTL_MS)} to ${formatDuration(MAX_TTL_MS)} (like 30s, 5m, 2h, 1d)`,
    );
  }
  return ms;
}

function messageId(name: CommandName, text: string): number {
  const id = text.replace(/^[#(]|\)$/g, '');
  if (!/^[1-9]\d{0,15}$/.test(id)) throw usage(name, `"${text}" is not a message id (the number shown before each message)`);
  return Number(id);
}

function stripAt(name: string): string {
  return name.replace(/^@/, '');
}

function usage(name: CommandName, reason: string): WarrenError {
  return new WarrenError(ERROR_CODES.COMMAND_USAGE, `usage: ${COMMANDS[name].usage} (${reason})`);
}
