import { COMMANDS, COMMAND_NAMES, parseInput, type ParsedInput } from '../../commands.js';
import { checkPassword } from '../../../shared/password-policy.js';
import type { ChatEvent, HistoryList, RoomInfo, UserInfo, WhoisInfo } from '../../../shared/server-messages.js';
import type { WebCall } from '../../../shared/web-protocol.js';
import { formatDuration } from '../../../shared/duration.js';
import type { ChatState } from './chat-state.js';
import { RequestFailed, type GatewayLink } from './gateway-link.js';
import { serverTime } from './render.js';

export interface CommandOutput {
  notice(level: 'info' | 'ok' | 'warn' | 'error', text: string): void;
  switchTo(room: string): void;
  /** Asks for a secret on the input line, masked (for /register). */
  askSecret(prompt: string): Promise<string>;
  leave(): void;
}

/**
 * What a typed line does on the page: the terminal's own parser (client/commands.ts), then the
 * gateway call the terminal's SessionController would make, its answer shown as notices.
 */
export async function runLine(line: string, state: ChatState, link: GatewayLink, out: CommandOutput): Promise<void> {
  let input: ParsedInput;
  try {
    input = parseInput(line);
    await run(input, state, link, out);
  } catch (err) {
    const code = err instanceof RequestFailed ? err.code : ((err as { code?: string }).code ?? 'INTERNAL');
    out.notice('error', `✗ ${err instanceof Error ? err.message : String(err)} [${code}]`);
  }
}

async function run(input: ParsedInput, state: ChatState, link: GatewayLink, out: CommandOutput): Promise<void> {
  const call = <T>(webCall: WebCall): Promise<T> => link.request<T>({ type: 'call', call: webCall });
  const ok = (text: string): void => out.notice('ok', `✓ ${text}`);
  if (input.kind === 'empty') return;
  if (input.kind === 'say') {
    await link.request({ type: 'send', text: input.text, ...state.target(), ...(input.ttlMs === undefined ? {} : { ttlMs: input.ttlMs }) });
    return;
  }
  if (input.kind === 'private') {
    await link.request({ type: 'send', text: input.text, to: input.to });
    return;
  }
  const here = (room: string | undefined): string => room ?? state.current;
  switch (input.name) {
    case 'exit':
      return out.leave();
    case 'help':
      out.notice('info', 'Type a line to send it to the current room. Commands:');
      for (const name of COMMAND_NAMES) out.notice('info', `${COMMANDS[name].usage} — ${COMMANDS[name].help}`);
      return out.notice('info', 'Start a line with // to send a line that begins with /. Tab completes commands, names and rooms.');
    case 'users': {
      const users = await call<UserInfo[]>({ method: 'users' });
      return out.notice('info', `Online (${users.length}): ${users.map((user) => user.name).join(', ')}`);
    }
    case 'mymsgs': {
      const messages = await call<ChatEvent[]>({ method: 'myMessages' });
      if (messages.length === 0) return out.notice('info', 'You have not sent any messages yet.');
      out.notice('info', `Your messages (${messages.length}):`);
      for (const event of messages) out.notice('info', `[${serverTime(event.serverTs)}] (${event.num}) ${event.to ? `[private → ${event.to}] ` : event.room === 'general' ? '' : `#${event.room} `}${event.text}`);
      return;
    }
    case 'history': {
      const page = await call<HistoryList>({ method: 'history', room: state.current, ...(input.count === undefined ? {} : { limit: input.count }) });
      if (page.messages.length === 0) return out.notice('info', 'No messages yet.');
      out.notice('info', `Last ${page.messages.length} message(s):`);
      for (const event of page.messages) out.notice('info', `[${serverTime(event.serverTs)}] (${event.num}) ${event.from}: ${event.text}`);
      return;
    }
    case 'rooms': {
      const rooms = await call<RoomInfo[]>({ method: 'listRooms' });
      out.notice('info', `Rooms (${rooms.length}):`);
      for (const room of rooms) {
        const role = room.role ?? 'not a member';
        const ttl = room.ttlMs ? ` · messages expire after ${formatDuration(room.ttlMs)}` : '';
        out.notice('info', `#${room.name}${room.kind === 'secret' ? ' (secret)' : ''} · ${room.online}/${room.members} online · ${role}${ttl}`);
      }
      return;
    }
    case 'create': {
      const room = await call<RoomInfo>({ method: 'createRoom', room: input.room, secret: input.secret });
      ok(`created #${room.name}${input.secret ? ' (secret: invite-only, unlisted)' : ''}; you are its admin`);
      return out.switchTo(room.name);
    }
    case 'join':
      return out.switchTo((await call<RoomInfo>({ method: 'joinRoom', room: input.room })).name);
    case 'room': {
      const name = input.room.replace(/^#/, '').toLowerCase();
      if (!state.rooms.get(name)?.info) throw new RequestFailed('NOT_A_MEMBER', `you are not in #${name}; /join it first`);
      return out.switchTo(name);
    }
    case 'leave': {
      const room = here(input.room?.replace(/^#/, '').toLowerCase());
      ok(await call<string>({ method: 'leaveRoom', room }));
      if (room === state.current) out.switchTo('general');
      return;
    }
    case 'invite':
    case 'kick':
    case 'promote':
      return ok(await call<string>({ method: input.name, user: input.user, room: here(input.room?.replace(/^#/, '').toLowerCase()) }));
    case 'whois': {
      const info = await call<WhoisInfo>({ method: 'whois', user: input.user });
      out.notice('info', `${info.name}: ${info.online ? `online since ${serverTime(info.since ?? new Date().toISOString())}` : 'offline'}`);
      for (const entry of info.rooms) out.notice('info', `  #${entry.name} · ${entry.role}`);
      return;
    }
    case 'edit':
      return ok(await call<string>({ method: 'edit', num: input.num, text: input.text }));
    case 'delete':
      return ok(await call<string>({ method: 'delete', num: input.num }));
    case 'roomttl':
      return ok(await call<string>({ method: 'setRoomTtl', room: here(input.room?.replace(/^#/, '').toLowerCase()), ttlMs: input.ttlMs }));
    case 'register': {
      const first = await out.askSecret('New password (at least 8 characters)');
      const policy = checkPassword(first);
      if (!policy.ok) throw new RequestFailed(policy.code, policy.reason);
      const again = await out.askSecret('The same password again');
      if (again !== first) throw new RequestFailed('PASSWORD_MISMATCH', 'the two passwords differ; nothing was registered');
      const name = await call<string>({ method: 'register', password: first });
      return ok(`"${name}" is registered: from now on it needs this password, and keeps your rooms, private chats and /mymsgs`);
    }
  }
}
