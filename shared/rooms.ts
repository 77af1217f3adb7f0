import { DEFAULT_ROOM } from './limits.js';
import { nameKey } from './names.js';

/** Room names: 1–32 lowercase letters, digits, `_` or `-`, starting with a letter or digit. */
const ROOM_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export type RoomCheck = { ok: true; room: string } | { ok: false; reason: string };

export function checkRoomName(raw: string): RoomCheck {
  const room = raw.replace(/^#/, '').toLowerCase();
  if (room.length === 0) return { ok: false, reason: 'the room name is empty' };
  if (room.length > 32) return { ok: false, reason: 'the room name is longer than 32 characters' };
  if (!ROOM_PATTERN.test(room)) return { ok: false, reason: 'use letters, digits, _ and -, starting with a letter or digit' };
  return { ok: true, room };
}

/**
 * A private conversation is a room of its own named after both people, so it has its own
 * sequence numbers and history like any room. The `dm:` prefix cannot clash with a room name.
 */
export function directRoomName(a: string, b: string): string {
  const [first, second] = [nameKey(a), nameKey(b)].sort();
  return `dm:${first}:${second}`;
}

export function isDirectRoom(room: string): boolean {
  return room.startsWith('dm:');
}

export function isDefaultRoom(room: string): boolean {
  return room === DEFAULT_ROOM;
}

/** The other person of a private conversation, by name key. */
export function directPeer(room: string, me: string): string | undefined {
  const [, first, second] = room.split(':');
  const key = nameKey(me);
  return first === key ? second : second === key ? first : undefined;
}
