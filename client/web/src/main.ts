import type { SequencedFrame, WebWelcome } from '../../../shared/web-protocol.js';
import { ChatState, type Entry } from './chat-state.js';
import { Composer } from './composer.js';
import { GatewayLink, RequestFailed } from './gateway-link.js';
import { askNotificationPermission, notifyMention } from './notify.js';
import { renderEntry, renderOnline, renderRoomList } from './render.js';
import { runLine } from './run-command.js';
import type { HistoryList } from '../../../shared/server-messages.js';
import './style.css';

/** How many older messages one scroll back (or the button) fetches. */
const OLDER_PAGE = 50;

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  status: byId('status'),
  me: byId('me'),
  loginView: byId('login-view'),
  loginForm: byId<HTMLFormElement>('login-form'),
  loginName: byId<HTMLInputElement>('login-name'),
  loginPassword: byId<HTMLInputElement>('login-password'),
  loginError: byId('login-error'),
  chatView: byId('chat-view'),
  roomList: byId('room-list'),
  onlineList: byId('online-list'),
  onlineCount: byId('online-count'),
  roomTitle: byId('room-title'),
  older: byId<HTMLButtonElement>('older'),
  log: byId('log'),
  line: byId<HTMLInputElement>('line'),
  completions: byId('completions'),
};

const state = new ChatState();
const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
const link = new GatewayLink(wsUrl, {
  frame: (frame, oldNews) => onFrame(frame, oldNews),
  redraw: (hello) => {
    state.reset();
    ui.log.replaceChildren();
    if (hello.state?.welcome) {
      welcome(hello.state.welcome);
      state.setRooms(hello.state.rooms);
      state.setOnline(hello.state.online);
      drawAll();
      for (const room of state.rooms.keys()) void refill(room);
    } else showLogin('');
  },
  state: (text, ok) => {
    ui.status.textContent = text;
    ui.status.className = ok ? 'ok' : 'warn';
  },
  ended: (reason) => {
    state.reset();
    showLogin(reason);
  },
  refused: (error) => notice('error', `✗ ${error.message} [${error.code}]`),
  loggedIn: (yes) => {
    if (!yes) showLogin('');
  },
});

const composer = new Composer({
  input: ui.line,
  completions: ui.completions,
  names: () => state.online.values(),
  rooms: () => [...state.rooms.values()].filter((room) => room.info).map((room) => room.name),
  submit: (line) =>
    void runLine(line, state, link, {
      notice,
      switchTo: (room) => switchTo(room),
      askSecret: (prompt) => composer.askSecret(prompt),
      leave: () => void link.request({ type: 'logout' }).catch(() => undefined),
    }),
});

function onFrame(frame: SequencedFrame, oldNews: boolean): void {
  switch (frame.type) {
    case 'welcome':
      welcome(frame.welcome);
      return drawAll();
    case 'message': {
      const recent = frame.recent && !oldNews;
      const { entry, room, added } = state.addMessage(frame.event, recent);
      if (!added) return;
      if (room.name === state.current) placeEntry(entry, room.entries);
      else drawSidebar();
      if (recent && entry.mentionsMe) notifyMention(frame.event.from, frame.event.text, room.label);
      return;
    }
    case 'messageUpdated': {
      const found = state.findMessage(frame.update.num);
      if (!found) return;
      found.entry.event = { ...found.entry.event, text: frame.update.text, editedAt: frame.update.editedAt };
      return redrawEntry(found.entry);
    }
    case 'messageRemoved': {
      const found = state.findMessage(frame.removal.num);
      if (!found) return;
      found.entry.removed = frame.removal;
      return redrawEntry(found.entry);
    }
    case 'roomEvent': {
      const event = frame.event;
      if (event.event === 'promoted' && event.name === state.me) {
        const info = state.rooms.get(event.room)?.info;
        if (info) info.role = 'admin';
      }
      return notice('info', roomEventText(event), event.serverTs, state.rooms.has(event.room) ? event.room : undefined);
    }
    case 'presence':
      if (frame.event.event === 'joined') state.online.set(frame.event.name.toLowerCase(), frame.event.name);
      else state.online.delete(frame.event.name.toLowerCase());
      renderOnline(ui.onlineList, ui.onlineCount, state);
      if (frame.event.name !== state.me) notice('info', `${frame.event.name} ${frame.event.event === 'joined' ? 'joined' : 'left'} · ${frame.event.online} online`, frame.event.serverTs);
      return;
    case 'rooms':
      state.setRooms(frame.rooms);
      if (!state.rooms.has(state.current)) return switchTo('general');
      return drawSidebar();
    case 'notice':
      return notice(frame.level, frame.text);
    case 'link':
      // Before the login, the chat view is hidden: say it where the person is looking.
      if (state.me === undefined) ui.loginError.textContent = `chat server: ${frame.link.detail}`;
      return notice(frame.link.state === 'connected' ? 'ok' : 'warn', `chat server: ${frame.link.detail}`);
    case 'sessionLost':
      state.reset();
      return showLogin(`${frame.error.message} [${frame.error.code}]`);
    case 'result':
      return;
  }
}

function welcome(hello: WebWelcome): void {
  state.me = hello.name;
  state.setRooms(hello.rooms);
  state.setOnline(hello.users);
  if (!state.rooms.has(state.current)) state.current = hello.room;
  ui.me.textContent = hello.name;
  ui.loginView.hidden = true;
  ui.chatView.hidden = false;
  if (!hello.active) notice('warn', `The chat starts when ${hello.minUsers} users have been online at once. Messages you send are kept until then.`);
  ui.line.focus();
}

function showLogin(reason: string): void {
  ui.chatView.hidden = true;
  ui.loginView.hidden = false;
  ui.me.textContent = '';
  ui.loginError.textContent = reason;
  ui.loginName.focus();
}

function notice(level: 'info' | 'ok' | 'warn' | 'error', text: string, at?: string, roomName = state.current): void {
  const room = state.room(roomName);
  const entry: Entry = { kind: 'notice', level, text, ...(at === undefined ? {} : { at }) };
  room.entries.push(entry);
  if (room.name === state.current) placeEntry(entry, room.entries);
}

function switchTo(room: string): void {
  state.switchTo(room);
  drawAll();
  ui.line.focus();
}

function drawAll(): void {
  drawSidebar();
  renderOnline(ui.onlineList, ui.onlineCount, state);
  const room = state.room(state.current);
  ui.roomTitle.textContent = room.label + (room.info?.kind === 'secret' ? ' (secret)' : '');
  ui.older.hidden = !(room.oldestSeq !== undefined && room.oldestSeq > 1);
  ui.log.replaceChildren(...room.entries.map((entry) => renderEntry(entry, state)));
  ui.log.scrollTop = ui.log.scrollHeight;
}

function drawSidebar(): void {
  renderRoomList(ui.roomList, state, (room) => switchTo(room));
}

/** Appends an entry of the current room, or redraws the log when it belongs further up. */
function placeEntry(entry: Entry, entries: Entry[]): void {
  const atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
  if (entries[entries.length - 1] !== entry) return drawAll();
  ui.log.append(renderEntry(entry, state));
  if (atBottom) ui.log.scrollTop = ui.log.scrollHeight;
}

function redrawEntry(entry: Entry & { kind: 'message' }): void {
  const old = ui.log.querySelector(`li[data-num="${entry.event.num}"]`);
  if (old && entry.event.room === state.current) old.replaceWith(renderEntry(entry, state));
}

/** Older messages of the current room, put above what is shown. */
async function loadOlder(): Promise<void> {
  const room = state.room(state.current);
  const oldest = room.oldestSeq;
  if (oldest === undefined || oldest <= 1) return;
  const limit = Math.min(OLDER_PAGE, oldest - 1);
  const before = ui.log.scrollHeight - ui.log.scrollTop;
  try {
    const page = await link.request<HistoryList>({ type: 'call', call: { method: 'history', room: room.name, afterSeq: oldest - 1 - limit, limit } });
    for (const event of page.messages) if (event.seq < oldest) state.addMessage(event, false);
    if (page.messages.length === 0) room.oldestSeq = 1;
    drawAll();
    ui.log.scrollTop = ui.log.scrollHeight - before;
  } catch (err) {
    notice('error', `✗ ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** After a gap the gateway could not replay: the room's recent history again. */
async function refill(room: string): Promise<void> {
  const page = await link.request<HistoryList>({ type: 'call', call: { method: 'history', room, limit: OLDER_PAGE } }).catch(() => undefined);
  for (const event of page?.messages ?? []) state.addMessage(event, false);
  if (room === state.current) drawAll();
}

function roomEventText(event: Extract<SequencedFrame, { type: 'roomEvent' }>['event']): string {
  const by = event.by ? ` by ${event.by}` : '';
  const texts: Record<typeof event.event, string> = {
    created: `#${event.room} was created by ${event.name}`,
    joined: `${event.name} joined #${event.room}`,
    left: `${event.name} left #${event.room}`,
    invited: `${event.name} was added to #${event.room}${by}`,
    kicked: `${event.name} was removed from #${event.room}${by}`,
    promoted: `${event.name} is now an admin of #${event.room}${by}`,
    archived: `${event.name}'s guest name ended: your private chat with them is kept as ${event.renamedTo ?? event.room}`,
    ttl: `${event.name} set new messages in #${event.room} to ${event.ttlMs ? `disappear after ${Math.round(event.ttlMs / 1000)} s` : 'stay'}`,
  };
  return texts[event.event];
}

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  askNotificationPermission();
  ui.loginError.textContent = 'logging in…';
  const password = ui.loginPassword.value;
  link
    .request<WebWelcome>({ type: 'login', name: ui.loginName.value.trim(), ...(password === '' ? {} : { password }) })
    .then(() => {
      ui.loginPassword.value = '';
      ui.loginError.textContent = '';
    })
    .catch((err: unknown) => {
      ui.loginError.textContent = err instanceof RequestFailed ? `${err.message} [${err.code}]` : String(err);
    });
});
ui.older.addEventListener('click', () => void loadOlder());
ui.log.addEventListener('scroll', () => {
  if (ui.log.scrollTop === 0) void loadOlder();
});
// For tests and people who want to see the reconnection: a cut socket, as a network drop would.
(window as unknown as { warrenCutSocket: () => void }).warrenCutSocket = () => link.cut();

if (!link.hasSession) showLogin('');
link.open();
