import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { messageLogEntry, type ChatLog } from './chat-log.js';
import type { Store } from '../store/store.js';

/** How far back from the end of the log to look for lines of messages the store says are unlogged. */
const TAIL_BYTES = 1024 * 1024;

/**
 * After a crash between storing a message and marking it logged, the store has messages whose
 * log line may or may not have been written. Write the missing ones; mark all as logged.
 */
export function repairChatLog(store: Store, chatLog: ChatLog): number {
  const pending = store.unloggedMessages();
  if (pending.length === 0) return 0;
  const tail = readTail(chatLog.path, TAIL_BYTES);
  let written = 0;
  for (const event of pending) {
    if (!tail.includes(` id=${event.id} `)) {
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
