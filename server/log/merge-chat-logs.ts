/**
 * The whole deployment's chat log in server-time order, from the logs of several coordinators
 * (each writes its own file: WARREN_CHAT_LOG_FILE=chat-%h.log). Every line starts with its server
 * time in UTC ISO form, which sorts as text. A file is not always in order: a coordinator that
 * takes over a dead one's partition writes the lines that one stored but never logged, with their
 * own (earlier) server times. So every line is sorted by its time, lines of equal time keeping
 * their file's order. A MESSAGE line whose id was seen already is left out and counted: with a
 * shared log folder none is expected (chat-log-repair.ts), and a deployment whose coordinators
 * keep their logs apart still reads each message once.
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
  const merged: MergedChatLog = { lines: [], repeated: 0, unreadable: 0 };
  const timed: { time: string; file: number; index: number; line: string }[] = [];
  for (const [file, text] of files.entries()) {
    for (const [index, line] of text.split('\n').entries()) {
      if (line === '') continue;
      const time = LEADING_TIME.exec(line)?.[1];
      if (time === undefined) merged.unreadable += 1;
      else timed.push({ time, file, index, line });
    }
  }
  // By server time; equal times keep their file's order, then the files' order.
  timed.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.file - b.file || a.index - b.index));
  const seen = new Set<string>();
  for (const { line } of timed) {
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
  return merged;
}
