import { COMMAND_NAMES } from '../commands.js';

/**
 * Tab completion: a `/word` at the start completes to a command; any other word completes to an
 * online user's name (with or without a leading @).
 */
const ROOM_COMMANDS = /^\/(join|room|leave|create|roomttl\s+\S+)\s+\S*$/i;

export function complete(line: string, names: Iterable<string>, rooms: Iterable<string> = []): [string[], string] {
  if (/^\/\S*$/.test(line)) {
    const hits = COMMAND_NAMES.map((name) => `/${name}`).filter((command) => command.startsWith(line.toLowerCase()));
    return [hits.map((hit) => `${hit} `), line];
  }
  const word = /(\S*)$/.exec(line)?.[1] ?? '';
  if (word.startsWith('#') || ROOM_COMMANDS.test(line)) {
    const hash = word.startsWith('#') ? '#' : '';
    const stem = word.slice(hash.length).toLowerCase();
    const hits = [...rooms].filter((room) => room.startsWith(stem)).sort();
    return [hits.map((room) => `${hash}${room} `), word];
  }
  if (word.length === 0) return [[], word];
  const at = word.startsWith('@') ? '@' : '';
  const stem = word.slice(at.length).toLowerCase();
  const hits = [...names].filter((name) => name.toLowerCase().startsWith(stem)).sort();
  return [hits.map((name) => `${at}${name} `), word];
}
