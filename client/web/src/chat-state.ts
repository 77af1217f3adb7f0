import type { ChatEvent, MessageRemoved, RoomInfo, UserInfo } from '../../../shared/server-messages.js';
import { mentions } from '../../ui/mentions.js';

/** One line of a room's log: a message (maybe edited or removed since) or a notice. */
export type Entry =
  | { kind: 'message'; event: ChatEvent; removed?: MessageRemoved; mentionsMe: boolean }
  | { kind: 'notice'; level: 'info' | 'ok' | 'warn' | 'error'; text: string; at?: string };

export interface RoomView {
  name: string;
  /** What the sidebar shows: #room, or @person for a private chat. */
  label: string;
  info: RoomInfo | undefined;
  /** Private chats: the other person, whom lines typed here go to. */
  peer: string | undefined;
  entries: Entry[];
  unread: number;
  mentioned: boolean;
  /** The lowest seq shown, for fetching older messages. */
  oldestSeq: number | undefined;
}

/**
 * The page's state, built from the gateway's frames: the rooms with their logs, who is online,
 * who I am and which room I look at. Views read it; only the dispatch (main.ts) changes it.
 */
export class ChatState {
  me: string | undefined;
  current = 'general';
  readonly rooms = new Map<string, RoomView>();
  readonly online = new Map<string, string>();

  reset(): void {
    this.me = undefined;
    this.current = 'general';
    this.rooms.clear();
    this.online.clear();
  }

  room(name: string): RoomView {
    let view = this.rooms.get(name);
    if (!view) {
      view = { name, label: name.startsWith('dm:') ? '@…' : `#${name}`, info: undefined, peer: undefined, entries: [], unread: 0, mentioned: false, oldestSeq: undefined };
      this.rooms.set(name, view);
    }
    return view;
  }

  setRooms(rooms: RoomInfo[]): void {
    const names = new Set(rooms.map((info) => info.name));
    for (const info of rooms) this.room(info.name).info = info;
    // Rooms I left or was removed from go; private chats stay (they are not in the list).
    for (const name of [...this.rooms.keys()]) if (!names.has(name) && !name.startsWith('dm:')) this.rooms.delete(name);
  }

  setOnline(users: UserInfo[] | string[]): void {
    this.online.clear();
    for (const user of users) {
      const name = typeof user === 'string' ? user : user.name;
      this.online.set(name.toLowerCase(), name);
    }
  }

  /** Adds a message to its room; returns the entry, and whether it was already there (a history refill). */
  addMessage(event: ChatEvent, recent: boolean): { entry: Entry & { kind: 'message' }; room: RoomView; added: boolean } {
    const room = this.room(event.room);
    if (event.to !== undefined && this.me !== undefined) {
      room.peer = event.from.toLowerCase() === this.me.toLowerCase() ? event.to : event.from;
      room.label = `@${room.peer}`;
    }
    const existing = room.entries.find((entry): entry is Entry & { kind: 'message' } => entry.kind === 'message' && entry.event.num === event.num);
    if (existing) return { entry: existing, room, added: false };
    const mine = this.me !== undefined && event.from === this.me;
    const entry = { kind: 'message' as const, event, mentionsMe: !mine && this.me !== undefined && mentions(event.text, this.me) };
    const at = room.entries.findIndex((other) => other.kind === 'message' && other.event.seq > event.seq);
    if (at === -1) room.entries.push(entry);
    else room.entries.splice(at, 0, entry);
    room.oldestSeq = room.oldestSeq === undefined ? event.seq : Math.min(room.oldestSeq, event.seq);
    if (recent && event.room !== this.current && !mine) {
      room.unread += 1;
      if (entry.mentionsMe) room.mentioned = true;
    }
    return { entry, room, added: true };
  }

  findMessage(num: number): { entry: Entry & { kind: 'message' }; room: RoomView } | undefined {
    for (const room of this.rooms.values()) {
      for (const entry of room.entries) if (entry.kind === 'message' && entry.event.num === num) return { entry, room };
    }
    return undefined;
  }

  switchTo(name: string): void {
    this.current = name;
    const room = this.room(name);
    room.unread = 0;
    room.mentioned = false;
  }

  /** The room lines typed now go to, and how: a room, or a private chat's person. */
  target(): { room: string } | { to: string } {
    const room = this.rooms.get(this.current);
    return room?.peer !== undefined ? { to: room.peer } : { room: this.current };
  }
}
