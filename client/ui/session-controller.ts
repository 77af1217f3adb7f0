import { DEFAULT_ROOM, ERROR_CODES, WarrenError, checkPassword, checkRoomName, isWarrenError, type ChatEvent, type RoomInfo } from '../../shared/index.js';
import type { WarrenClient } from '../lib/warren-client.js';
import { parseInput, type ParsedInput } from '../commands.js';
import { mentions, type Formatter } from './format.js';

export interface Output {
  print(...lines: string[]): void;
  /** A message line that may later be replaced (edited) or removed (deleted, expired). */
  printMessage(num: number, line: string): void;
  /** Replaces a message line in place where the output can (a terminal); `notice` is printed otherwise. */
  replaceMessage(num: number, line: string, notice: string): void;
  bell(): void;
  /** Errors and connection notices (stderr in script mode, the screen otherwise). */
  printError(line: string): void;
  /** The room lines go to changed (the prompt shows it). */
  roomChanged?(room: string): void;
}

/**
 * What a typed line does, for both the interactive terminal and script mode: parse it, send it or
 * run the command, and print the outcome. Also renders everything the client library reports.
 */
export class SessionController {
  private readonly pendingSends = new Set<Promise<unknown>>();
  private readonly shown = new Map<number, ChatEvent>();
  private readonly seenRooms = new Set<string>();
  private failedSends = 0;
  private room = DEFAULT_ROOM;
  readonly online = new Set<string>();

  constructor(
    private readonly client: WarrenClient,
    private readonly format: Formatter,
    private readonly output: Output,
    /** Asks for a secret without showing it (the masked line of the screen; a file in script mode); none: /register is refused. */
    private readonly askSecret?: (prompt: string) => Promise<string>,
  ) {
    client.on('message', (event, { recent }) => this.showMessage(event, recent));
    client.on('messageUpdated', (update) => {
      const before = this.shown.get(update.num);
      if (!before) return;
      const after = { ...before, text: update.text, editedAt: update.editedAt };
      this.shown.set(update.num, after);
      this.output.replaceMessage(update.num, this.format.message(after, this.view(after)), this.format.edited(update.num, update.text, update.editedAt));
    });
    client.on('messageRemoved', (removal) => {
      const before = this.shown.get(removal.num);
      this.shown.delete(removal.num);
      const line = this.format.removed(removal, before?.from);
      this.output.replaceMessage(removal.num, line, line);
    });
    client.on('roomEvent', (event) => {
      this.seenRooms.add(event.room);
      this.output.print(this.format.roomEvent(event));
      if (event.event === 'kicked' && event.name === client.name && event.room === this.room) this.switchTo(DEFAULT_ROOM);
      if (event.event === 'archived' && event.renamedTo !== undefined) {
        this.seenRooms.delete(event.room);
        this.seenRooms.add(event.renamedTo);
        if (event.room === this.room) this.switchTo(DEFAULT_ROOM);
      }
    });
    client.on('presence', (event) => {
      if (event.name === client.name) return;
      if (event.event === 'joined') this.online.add(event.name);
      else this.online.delete(event.name);
      this.output.print(this.format.presence(event));
    });
    client.on('activated', () => this.output.print(this.format.activated()));
    client.on('held', () => this.output.printError(this.format.info('Your message is kept and appears when the chat starts.')));
    client.on('privateStatus', (status) =>
      this.output.printError(
        status.delivered ? this.format.ok(`delivered to ${status.to}`) : this.format.ok(`${status.to} is offline; they get it when they return`),
      ),
    );
    let interrupted = false;
    client.on('status', (status) => {
      // The first "connected" is not news; a reconnection is.
      if (status.state === 'connected' && !interrupted) return;
      if (status.state === 'disconnected' || status.state === 'reconnecting') interrupted = true;
      const line = this.format.status(status);
      if (line !== undefined) this.output.printError(line);
    });
    client.on('sessionLost', (error) => this.output.printError(this.format.error(error.code, error.message)));
  }

  /** /register: the password twice, hidden, checked here first for an instant answer, then by the coordinator. */
  private async register(): Promise<void> {
    if (!this.askSecret) throw new WarrenError(ERROR_CODES.COMMAND_USAGE, 'this client cannot ask for a password here');
    const first = await this.askSecret('New password (at least 8 characters): ');
    const policy = checkPassword(first);
    if (!policy.ok) throw new WarrenError(policy.code, policy.reason);
    const again = await this.askSecret('The same password again: ');
    if (again !== first) throw new WarrenError(ERROR_CODES.PASSWORD_MISMATCH, 'the two passwords differ; nothing was registered');
    const name = await this.client.register(first);
    this.output.print(this.format.ok(`"${name}" is registered: from now on it needs this password, and keeps your rooms, private chats and /mymsgs`));
  }

  /** The room plain lines go to. */
  get currentRoom(): string {
    return this.room;
  }

  /** Rooms for Tab completion: mine, and every room /rooms or a room notice has shown. */
  get roomNames(): string[] {
    return [...new Set([...this.client.rooms.map((room) => room.name), ...this.seenRooms])];
  }

  /** Returns 'exit' when the line asks to leave. Never throws: every failure is printed. */
  async handleLine(line: string): Promise<'continue' | 'exit'> {
    try {
      const input = parseInput(line);
      if (input.kind === 'command' && input.name === 'exit') return 'exit';
      await this.run(input);
    } catch (err) {
      this.reportError(err);
    }
    return 'continue';
  }

  /**
   * Waits until every message sent so far is accepted or refused, and resolves with how many were
   * not accepted. Messages held until the chat activates count as settled (the coordinator keeps
   * them). If nothing moves for `idleLimitMs` (the coordinator is away), it stops waiting and says
   * how many are still queued: they may yet be delivered, but the user is not left hanging.
   */
  async settle(idleLimitMs = Number.POSITIVE_INFINITY): Promise<number> {
    const all = Promise.allSettled([...this.pendingSends]);
    let stalled = 0;
    await new Promise<void>((resolve) => {
      let last = this.client.unsettledCount;
      let lastChange = Date.now();
      const done = (): void => {
        clearInterval(check);
        resolve();
      };
      const check = setInterval(() => {
        const open = this.client.unsettledCount;
        if (open === 0) return done();
        if (open !== last) {
          last = open;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > idleLimitMs) {
          stalled = open;
          done();
        }
      }, 50);
      void all.finally(done);
    });
    if (stalled > 0) {
      this.output.printError(
        this.format.error(
          ERROR_CODES.NOT_ACCEPTED,
          `${stalled} message(s) not accepted after ${Math.round(idleLimitMs / 1000)} s without an answer; they stay queued and may still be delivered`,
        ),
      );
    }
    return this.failedSends + stalled;
  }

  private async run(input: ParsedInput): Promise<void> {
    const print = (...lines: string[]): void => this.output.print(...lines);
    switch (input.kind) {
      case 'empty':
        return;
      case 'say':
        this.send(input.text, { room: this.room, ...(input.ttlMs === undefined ? {} : { ttlMs: input.ttlMs }) });
        return;
      case 'private':
        this.send(input.text, { to: input.to });
        return;
    }
    switch (input.name) {
      case 'exit':
        return;
      case 'help':
        return print(...this.format.help());
      case 'users': {
        const users = await this.client.users();
        for (const user of users) this.online.add(user.name);
        return print(...this.format.users(users));
      }
      case 'mymsgs':
        return print(...this.format.myMessages(await this.client.myMessages()));
      case 'register':
        return this.register();
      case 'history': {
        const page = await this.client.history({ room: this.room, ...(input.count === undefined ? {} : { limit: input.count }) });
        return print(...this.format.history(page.messages, { currentRoom: this.room, me: this.client.name }));
      }
      case 'rooms': {
        const rooms = await this.client.listRooms();
        for (const room of rooms) this.seenRooms.add(room.name);
        return print(...this.format.rooms(rooms, this.room));
      }
      case 'create': {
        const room = await this.client.createRoom(input.room, { secret: input.secret });
        print(this.format.ok(`created #${room.name}${input.secret ? ' (secret: invite-only, unlisted)' : ''}; you are its admin`));
        return this.switchTo(room.name);
      }
      case 'join': {
        const room = await this.client.joinRoom(input.room);
        return this.switchTo(room.name);
      }
      case 'room': {
        const name = this.knownRoom(input.room);
        return this.switchTo(name);
      }
      case 'leave': {
        const name = input.room === undefined ? this.room : this.knownRoom(input.room);
        print(this.format.ok(await this.client.leaveRoom(name)));
        if (name === this.room) this.switchTo(DEFAULT_ROOM);
        return;
      }
      case 'invite':
      case 'kick':
      case 'promote': {
        const room = input.room === undefined ? this.room : this.knownRoom(input.room);
        return print(this.format.ok(await this.client[input.name](input.user, room)));
      }
      case 'whois':
        return print(...this.format.whois(await this.client.whois(input.user)));
      case 'edit':
        return print(this.format.ok(await this.client.edit(input.num, input.text)));
      case 'delete':
        return print(this.format.ok(await this.client.delete(input.num)));
      case 'roomttl': {
        const room = input.room === undefined ? this.room : this.knownRoom(input.room);
        return print(this.format.ok(await this.client.setRoomTtl(room, input.ttlMs)));
      }
    }
  }

  private knownRoom(raw: string): string {
    const check = checkRoomName(raw);
    if (!check.ok) throw new WarrenError(ERROR_CODES.ROOM_INVALID, `invalid room name: ${check.reason}`);
    if (!this.client.rooms.some((room: RoomInfo) => room.name === check.room)) {
      throw new WarrenError(ERROR_CODES.NOT_A_MEMBER, `you are not in #${check.room}; /join it first`);
    }
    return check.room;
  }

  private switchTo(room: string): void {
    this.room = room;
    this.output.roomChanged?.(room);
    this.output.print(this.format.info(`Lines you type now go to #${room}.`));
  }

  private send(text: string, options: { room?: string; to?: string; ttlMs?: number }): void {
    const accepted = this.client.send(text, options).catch((err: unknown) => {
      this.failedSends += 1;
      const code = isWarrenError(err) ? err.code : ERROR_CODES.NOT_ACCEPTED;
      const reason = err instanceof Error ? err.message : String(err);
      this.output.printError(this.format.error(code, `not sent: ${reason}`));
    });
    this.pendingSends.add(accepted);
    void accepted.finally(() => this.pendingSends.delete(accepted));
  }

  private view(event: ChatEvent): { currentRoom: string; me: string | undefined; mentionsMe: boolean } {
    const me = this.client.name;
    const mine = me !== undefined && event.from === me;
    return { currentRoom: this.room, me, mentionsMe: !mine && me !== undefined && mentions(event.text, me) };
  }

  private showMessage(event: ChatEvent, recent: boolean): void {
    const view = this.view(event);
    this.shown.set(event.num, event);
    this.output.printMessage(event.num, this.format.message(event, view));
    // A mention in history is still highlighted, but only news rings the bell.
    if (view.mentionsMe && recent) this.output.bell();
  }

  private reportError(err: unknown): void {
    const error = isWarrenError(err) ? err : new WarrenError(ERROR_CODES.INTERNAL, err instanceof Error ? err.message : String(err));
    this.output.printError(this.format.error(error.code, error.message));
  }
}
