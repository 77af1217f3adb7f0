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
const MESSAGE_NUM = / num=(\d+) /;

/**
 * Two coordinators can accept messages within one millisecond (the times' precision), and their
 * lines then tie. Within each such group the MESSAGE lines take their slots in the order of their
 * `num`, which the store hands out in the order it stores them (a room's `seq` order too); the
 * other lines stay where they are.
 */
function orderMessagesWithinEachMillisecond(timed: { time: string; line: string }[]): void {
  for (let start = 0; start < timed.length; ) {
    let end = start + 1;
    while (end < timed.length && timed[end]!.time === timed[start]!.time) end += 1;
    if (end - start > 1) {
      const slots: number[] = [];
      for (let i = start; i < end; i += 1) if (timed[i]!.line.includes(' MESSAGE ') && MESSAGE_NUM.test(timed[i]!.line)) slots.push(i);
      const byNum = slots.map((i) => timed[i]!).sort((a, b) => Number(MESSAGE_NUM.exec(a.line)![1]) - Number(MESSAGE_NUM.exec(b.line)![1]));
      for (const [k, i] of slots.entries()) timed[i] = byNum[k]!;
    }
    start = end;
  }
}

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
  orderMessagesWithinEachMillisecond(timed);
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
