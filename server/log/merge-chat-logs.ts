/**
 * The whole deployment's chat log in server-time order, from the logs of several coordinators
 * (each writes its own file: WARREN_CHAT_LOG_FILE=chat-%h.log). Every line starts with its server
 * time in UTC ISO form, which sorts as text; each file is in order already, so this is a k-way
 * merge, lines of equal time keeping their file's order. A MESSAGE line whose id was seen already
 * is left out and counted: with a shared log folder none is expected (chat-log-repair.ts), and a
 * deployment whose coordinators keep their logs apart still reads each message once.
 */
export interface MergedChatLog {
  lines: string[];
  /** MESSAGE lines left out because an earlier line had the same id. */
  repeated: number;
  /** Lines that do not start with a server time (not a chat log line): left out and counted. */
  unreadable: number;
}

const LEADING_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z) /;
const MESSAGE_ID = / id=([^\s"]+) /;

export function mergeChatLogs(files: readonly string[]): MergedChatLog {
  const sources = files.map((text) => text.split('\n').filter((line) => line !== ''));
  const positions = sources.map(() => 0);
  const seen = new Set<string>();
  const merged: MergedChatLog = { lines: [], repeated: 0, unreadable: 0 };
  for (;;) {
    let pick = -1;
    let pickTime = '';
    for (const [i, lines] of sources.entries()) {
      const line = lines[positions[i]!];
      if (line === undefined) continue;
      const time = LEADING_TIME.exec(line)?.[1];
      if (time === undefined) {
        positions[i]! += 1;
        merged.unreadable += 1;
        pick = -2;
        break;
      }
      if (pick === -1 || time < pickTime) {
        pick = i;
        pickTime = time;
      }
    }
    if (pick === -2) continue;
    if (pick === -1) return merged;
    const line = sources[pick]![positions[pick]!]!;
    positions[pick]! += 1;
    const id = line.includes(' MESSAGE ') ? MESSAGE_ID.exec(line)?.[1] : undefined;
    if (id !== undefined) {
      if (seen.has(id)) {
        merged.repeated += 1;
        continue;
      }
      seen.add(id);
    }
    merged.lines.push(line);
  }
}
