import { EventEmitter } from 'node:events';
import { DEFAULT_ROOM, type ChatEvent, type CommandType, type HistoryList, type ReplyOf, type RoomInfo, type UserInfo, type WhoisInfo } from '../../shared/index.js';
import type { CommandArgs } from './command-table.js';
import type { ClientEvents } from './api-types.js';

/** The commands a logged-in client sends (all but login and logout, which change the session). */
export type SessionCommand = Exclude<CommandType, 'login' | 'logout'>;

/**
 * The protocol's commands by name, for callers that prefer `client.users()` to
 * `client.command('users', {})`: each is the generic `command` plus what the caller wants from the
 * reply (and, for the room commands, following or unfollowing the room).
 */
export abstract class CommandMethods extends EventEmitter<ClientEvents> {
  /** Any command of the protocol, answered with the reply type the protocol gives it. */
  abstract command<T extends SessionCommand>(type: T, args: CommandArgs<T>): Promise<ReplyOf<T>>;

  /** Starts showing a room the client just entered, from the history its reply carried. */
  protected abstract followRoom(room: RoomInfo, history: ChatEvent[]): Promise<void>;

  protected abstract unfollowRoom(room: string): Promise<void>;

  /** Registers the name this session holds with `password`: from then on it needs it, and keeps its rooms and chats. */
  async register(password: string): Promise<string> {
    return (await this.command('register', { password })).name;
  }

  async users(): Promise<UserInfo[]> {
    return (await this.command('users', {})).users;
  }

  async myMessages(): Promise<ChatEvent[]> {
    return (await this.command('mymsgs', {})).messages;
  }

  async history(options: { room?: string; afterSeq?: number; limit?: number } = {}): Promise<HistoryList> {
    const { room = DEFAULT_ROOM, ...rest } = options;
    return this.command('history', { room, ...rest });
  }

  async createRoom(room: string, options: { secret?: boolean } = {}): Promise<RoomInfo> {
    const reply = await this.command('create_room', { room, secret: options.secret ?? false });
    await this.followRoom(reply.room, reply.history);
    return reply.room;
  }

  /** Joins a room; its recent history arrives as 'message' events before this resolves. */
  async joinRoom(room: string): Promise<RoomInfo> {
    const reply = await this.command('join_room', { room });
    await this.followRoom(reply.room, reply.history);
    return reply.room;
  }

  async leaveRoom(room: string): Promise<string> {
    const reply = await this.command('leave_room', { room });
    await this.unfollowRoom(room);
    return reply.message;
  }

  async listRooms(): Promise<RoomInfo[]> {
    return (await this.command('rooms', {})).rooms;
  }

  async invite(user: string, room: string): Promise<string> {
    return (await this.command('invite', { user, room })).message;
  }

  async kick(user: string, room: string): Promise<string> {
    return (await this.command('kick', { user, room })).message;
  }

  async promote(user: string, room: string): Promise<string> {
    return (await this.command('promote', { user, room })).message;
  }

  async whois(user: string): Promise<WhoisInfo> {
    return this.command('whois', { user });
  }

  async edit(num: number, text: string): Promise<string> {
    return (await this.command('edit', { num, text })).message;
  }

  async delete(num: number): Promise<string> {
    return (await this.command('delete', { num })).message;
  }

  async setRoomTtl(room: string, ttlMs: number | null): Promise<string> {
    return (await this.command('room_ttl', { room, ttlMs })).message;
  }
}
