import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ChatEvent } from '../../shared/index.js';

/**
 * The chat's record, `chat.log`: one line per event, in the order the coordinator accepted them.
 * Every line starts with the server time it was written; message lines also carry `client_ts`
 * and `server_ts` explicitly. Values that are not plain tokens are JSON-quoted, so a message can
 * never forge a line or inject terminal control sequences.
 */
export type LogEntry =
  | {
      kind: 'MESSAGE';
      serverTs: string;
      clientTs: string;
      room: string;
      seq: number;
      /** The short number people type in /edit and /delete; EDIT, DELETE and EXPIRE lines name it too. */
      num?: number;
      id: string;
      from: string;
      text: string;
      to?: string;
      expiresAt?: string;
    }
  | {
      kind: 'ROOM';
      serverTs: string;
      clientTs?: string;
      event: 'created' | 'joined' | 'left' | 'invited' | 'kicked' | 'promoted' | 'ttl' | 'archived';
      room: string;
      name: string;
      by?: string;
      detail?: string;
    }
  | { kind: 'EDIT'; serverTs: string; clientTs?: string; room: string; num: number; by: string; text: string }
  | { kind: 'DELETE'; serverTs: string; clientTs?: string; room: string; num: number; by: string }
  | { kind: 'EXPIRE'; serverTs: string; room: string; num: number }
  | { kind: 'ACTIVATED'; serverTs: string; online: number }
  | { kind: 'JOIN'; serverTs: string; name: string }
  | { kind: 'REGISTERED'; serverTs: string; name: string }
  | { kind: 'LEAVE'; serverTs: string; name: string; reason: 'exit' | 'timeout' }
  | { kind: 'REJECTED'; serverTs: string; queue: string; code: string; reason: string; from?: string; requestId?: string }
  | { kind: 'START' | 'STOP'; serverTs: string; detail: string };

/** The log line of an accepted message: the same from the live path and from crash recovery. */
export function messageLogEntry(event: ChatEvent): LogEntry {
  return {
    kind: 'MESSAGE',
    serverTs: event.serverTs,
    clientTs: event.clientTs,
    room: event.room,
    seq: event.seq,
    num: event.num,
    id: event.id,
    from: event.from,
    text: event.text,
    ...(event.to === undefined ? {} : { to: event.to }),
    ...(event.expiresAt === undefined ? {} : { expiresAt: event.expiresAt }),
  };
}

const PLAIN = /^[\p{L}\p{N}._:@+-]+$/u;

/**
 * JSON quoting, plus \u escapes for what JSON leaves raw but a reader may still take as a line
 * break or a control: DEL, the C1 controls (NEL, CSI) and U+2028/U+2029. Still valid JSON.
 */
function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function value(raw: string | number): string {
  const text = String(raw);
  return PLAIN.test(text) ? text : quote(text);
}

type MessageEntry = Extract<LogEntry, { kind: 'MESSAGE' }>;

/** A MESSAGE line, the one written per chat line: built as one string, the same as the generic path would. */
function messageLine(entry: MessageEntry): string {
  let line = `${entry.serverTs} MESSAGE room=${value(entry.room)} seq=${value(entry.seq)}`;
  if (entry.num !== undefined) line += ` num=${value(entry.num)}`;
  line += ` from=${value(entry.from)} client_ts=${value(entry.clientTs)} server_ts=${value(entry.serverTs)} id=${value(entry.id)}`;
  if (entry.to !== undefined) line += ` to=${value(entry.to)}`;
  if (entry.expiresAt !== undefined) line += ` expires_at=${value(entry.expiresAt)}`;
  return `${line} text=${quote(entry.text)}`;
}

export function formatLogLine(entry: LogEntry): string {
  const fields: [string, string | number | undefined][] = [];
  switch (entry.kind) {
    case 'MESSAGE':
      return messageLine(entry);
    case 'ROOM':
      fields.push(
        ['event', entry.event],
        ['room', entry.room],
        ['name', entry.name],
        ['by', entry.by],
        ['client_ts', entry.clientTs],
        ['server_ts', entry.serverTs],
        ['detail', entry.detail],
      );
      break;
    case 'EDIT':
      fields.push(
        ['room', entry.room],
        ['num', entry.num],
        ['by', entry.by],
        ['client_ts', entry.clientTs],
        ['server_ts', entry.serverTs],
        ['text', quote(entry.text)],
      );
      break;
    case 'DELETE':
      fields.push(['room', entry.room], ['num', entry.num], ['by', entry.by], ['client_ts', entry.clientTs], ['server_ts', entry.serverTs]);
      break;
    case 'EXPIRE':
      fields.push(['room', entry.room], ['num', entry.num], ['server_ts', entry.serverTs]);
      break;
    case 'ACTIVATED':
      fields.push(['online', entry.online]);
      break;
    case 'JOIN':
    case 'REGISTERED':
      fields.push(['name', entry.name]);
      break;
    case 'LEAVE':
      fields.push(['name', entry.name], ['reason', entry.reason]);
      break;
    case 'REJECTED':
      fields.push(
        ['queue', entry.queue],
        ['code', entry.code],
        ['from', entry.from],
        ['request', entry.requestId],
        ['reason', entry.reason],
      );
      break;
    case 'START':
    case 'STOP':
      fields.push(['detail', entry.detail]);
      break;
  }
  const rendered = fields
    .filter((field): field is [string, string | number] => field[1] !== undefined)
    .map(([key, raw]) => (key === 'text' ? `${key}=${raw}` : `${key}=${value(raw)}`));
  return [entry.serverTs, entry.kind, ...rendered].join(' ');
}

/** The log's file name by default; several coordinators sharing a log folder each need their own (`%h`). */
export const DEFAULT_CHAT_LOG_FILE = 'chat.log';

/** A chat log file name with `%h` replaced by this host's name (a container's id under Docker). */
export function chatLogFileName(pattern: string, host: string = hostname()): string {
  return pattern.replaceAll('%h', host.replace(/[^A-Za-z0-9._-]/g, '_'));
}

export class ChatLog {
  readonly path: string;
  readonly dir: string;
  private fd: number | undefined;

  constructor(logDir: string, fileName: string = DEFAULT_CHAT_LOG_FILE) {
    mkdirSync(logDir, { recursive: true });
    this.dir = logDir;
    this.path = join(logDir, chatLogFileName(fileName));
    this.fd = openSync(this.path, 'a');
  }

  /** Synchronous on purpose: when this returns, the line is in the kernel and survives a crash of ours. */
  append(entry: LogEntry): void {
    if (this.fd === undefined) throw new Error('chat log is closed');
    writeSync(this.fd, `${formatLogLine(entry)}\n`);
  }

  /** Several lines in one write, in the order given (a batch of inputs, in acceptance order). */
  appendMany(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    if (this.fd === undefined) throw new Error('chat log is closed');
    let text = '';
    for (const entry of entries) text += `${formatLogLine(entry)}\n`;
    writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
