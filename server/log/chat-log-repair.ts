import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { messageLogEntry, type ChatLog } from './chat-log.js';
import type { Store } from '../store/store.js';

/** How far back from the end of the log to look for lines of messages the store says are unlogged. */
const TAIL_BYTES = 1024 * 1024;

/**
 * Messages stored this recently are left alone: another coordinator sharing the store may be
 * between storing one and writing its line. A message of a crashed coordinator's that young is
 * either redelivered (and logged then, server/handlers/chat-handler.ts) or was acked, which it
 * only is once logged; the next start marks it.
 */
export const REPAIR_MIN_AGE_MS = 10_000;

/**
 * After a crash between storing a message and marking it logged, the store has messages whose
 * log line may or may not have been written, in this coordinator's log or (several coordinators
 * sharing a log folder) another's. Write the missing ones; mark all as logged.
 */
export function repairChatLog(store: Store, chatLog: ChatLog, nowMs: number = Date.now()): number {
  const pending = store.unloggedMessages().filter((event) => Date.parse(event.serverTs) <= nowMs - REPAIR_MIN_AGE_MS);
  if (pending.length === 0) return 0;
  const tails = chatLogFiles(chatLog.dir).map((path) => readTail(path, TAIL_BYTES));
  let written = 0;
  for (const event of pending) {
    if (!tails.some((tail) => tail.includes(` id=${event.id} `))) {
      chatLog.append(messageLogEntry(event));
      written += 1;
    }
    store.markLogged(event.num);
  }
  return written;
}

function readTail(path: string, bytes: number): string {
  const size = statSync(path).size;
  const start = Math.max(0, size - bytes);
  const buffer = Buffer.alloc(size - start);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/** The chat logs of a folder: every coordinator sharing it writes one (`chat.log`, `chat-<host>.log`). */
export function chatLogFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /^chat.*\.log$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Whether a line of this message is in the end of any chat log of the folder. For a redelivered
 * message the store still calls unlogged: the coordinator that stored it may have written its line
 * and died before marking it (marks are deferred), and then this one must not write a second.
 */
export function loggedInFolder(dir: string, id: string): boolean {
  return chatLogFiles(dir).some((path) => readTail(path, TAIL_BYTES).includes(` id=${id} `));
}
