/**
 * Reads chat.log lines back: `<server time> <KIND> key=value ...`, where a value is either a
 * plain token or a JSON string. Parsing strictly is part of the test: a line this cannot read
 * back, or one with two values for a key, is a line someone could have forged.
 */
export interface ParsedLogLine {
  serverTs: string;
  kind: string;
  fields: Record<string, string>;
}

export function parseLogLine(line: string): ParsedLogLine {
  const head = /^(\S+) ([A-Z]+)(?= |$)/.exec(line);
  if (!head) throw new Error(`not a log line: ${JSON.stringify(line)}`);
  const fields: Record<string, string> = {};
  let rest = line.slice(head[0].length);
  while (rest.length > 0) {
    const key = /^ ([a-z_]+)=/.exec(rest);
    if (!key?.[1]) throw new Error(`expected " key=" at ${JSON.stringify(rest.slice(0, 40))} in ${JSON.stringify(line)}`);
    if (key[1] in fields) throw new Error(`field ${key[1]} appears twice in ${JSON.stringify(line)}`);
    rest = rest.slice(key[0].length);
    const [value, length] = rest.startsWith('"') ? readJsonString(rest, line) : readToken(rest);
    fields[key[1]] = value;
    rest = rest.slice(length);
  }
  return { serverTs: head[1] ?? '', kind: head[2] ?? '', fields };
}

function readToken(rest: string): [string, number] {
  const end = rest.indexOf(' ');
  const token = end === -1 ? rest : rest.slice(0, end);
  return [token, token.length];
}

function readJsonString(rest: string, line: string): [string, number] {
  for (let index = 1; index < rest.length; index += 1) {
    if (rest[index] === '\\') index += 1;
    else if (rest[index] === '"') return [JSON.parse(rest.slice(0, index + 1)) as string, index + 1];
  }
  throw new Error(`unterminated string in ${JSON.stringify(line)}`);
}

/** The parsed lines of one kind, e.g. every MESSAGE. */
export function linesOfKind(lines: string[], kind: string): ParsedLogLine[] {
  return lines.map(parseLogLine).filter((line) => line.kind === kind);
}
