import { ERROR_CODES, LIMITS, WarrenError } from '../shared/index.js';

/** Every command the user can type, with its help line. The single source for /help, parsing and tab completion. */
export const COMMANDS = {
  users: { usage: '/users', help: 'who is online' },
  mymsgs: { usage: '/mymsgs', help: 'the messages you sent since you took your name' },
  history: { usage: '/history [N]', help: 'the last N messages of the room (default 20)' },
  help: { usage: '/help', help: 'this list' },
  exit: { usage: '/exit', help: 'leave the chat and free your name (also /quit, Ctrl+C, Ctrl+D)' },
} as const;

export type CommandName = keyof typeof COMMANDS;

const ALIASES: Record<string, CommandName> = { quit: 'exit', q: 'exit', who: 'users', '?': 'help' };

export type ParsedInput =
  | { kind: 'empty' }
  | { kind: 'say'; text: string }
  | { kind: 'command'; name: 'users' | 'mymsgs' | 'help' | 'exit' }
  | { kind: 'command'; name: 'history'; count: number | undefined };

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/**
 * One typed line to what it means. A line starting with `/` is a command; `//` sends a line
 * that starts with a slash. Throws WarrenError UNKNOWN_COMMAND / COMMAND_USAGE / TEXT_TOO_LONG.
 */
export function parseInput(line: string): ParsedInput {
  const text = line.replace(/\r?\n$/, '');
  if (text.trim().length === 0) return { kind: 'empty' };
  if (text.startsWith('//')) return say(text.slice(1));
  if (!text.startsWith('/')) return say(text);
  const [word = '', ...args] = text.slice(1).trim().split(/\s+/);
  const name = resolveCommand(word.toLowerCase());
  switch (name) {
    case 'history': {
      if (args.length > 1 || (args[0] !== undefined && !/^[1-9]\d{0,2}$/.test(args[0]))) {
        throw usage('history', `N must be a whole number from 1 to ${LIMITS.maxHistoryPage}`);
      }
      const count = args[0] === undefined ? undefined : Number(args[0]);
      if (count !== undefined && count > LIMITS.maxHistoryPage) throw usage('history', `N must be at most ${LIMITS.maxHistoryPage}`);
      return { kind: 'command', name, count };
    }
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
    `unknown command /${word}; the commands are ${COMMAND_NAMES.map((name) => `/${name}`).join(', ')}`,
  );
}

function say(text: string): ParsedInput {
  const length = [...text].length;
  if (length > LIMITS.maxTextLength) {
    throw new WarrenError(ERROR_CODES.TEXT_TOO_LONG, `the message is ${length} characters; the limit is ${LIMITS.maxTextLength}`);
  }
  return { kind: 'say', text };
}

function usage(name: CommandName, reason: string): WarrenError {
  return new WarrenError(ERROR_CODES.COMMAND_USAGE, `usage: ${COMMANDS[name].usage} (${reason})`);
}
