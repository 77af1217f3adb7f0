import type { ChatState, Entry, RoomView } from './chat-state.js';

/**
 * The page's drawing: state in, elements out. Text that came from anyone else is set with
 * textContent only, never parsed as HTML, so a message can show "<b>" but never make one.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The server's time, as the terminal shows it: HH:MM:SS in UTC today, with the date otherwise. */
export function serverTime(iso: string): string {
  const at = new Date(iso);
  const today = new Date().toISOString().slice(0, 10) === iso.slice(0, 10);
  const time = at.toISOString().slice(11, 19);
  return today ? time : `${iso.slice(0, 10)} ${time}`;
}

export function renderEntry(entry: Entry, state: ChatState): HTMLLIElement {
  const item = el('li', `entry ${entry.kind}`);
  if (entry.kind === 'notice') {
    item.classList.add(entry.level);
    if (entry.at) item.append(el('time', 'time', `[${serverTime(entry.at)}]`), ' ');
    item.append(el('span', 'text', entry.text));
    return item;
  }
  const { event, removed } = entry;
  item.dataset.num = String(event.num);
  const mine = state.me !== undefined && event.from === state.me;
  const stamp = el('time', 'time', `[${serverTime(event.serverTs)}]`);
  stamp.dateTime = event.serverTs;
  stamp.title = `server time ${event.serverTs} · id ${event.id}`;
  item.append(stamp, ' ', el('span', 'num', `(${event.num})`), ' ');
  if (event.to !== undefined) item.append(el('span', 'private', mine ? `[private → ${event.to}]` : '[private]'), ' ');
  item.append(el('span', 'from', event.from), mine ? el('span', 'you', ' (you)') : '', ': ');
  if (removed) {
    item.classList.add('removed');
    const why = removed.reason === 'expired' ? 'expired' : `was deleted${removed.by ? ` by ${removed.by}` : ''}`;
    item.append(el('span', 'text', `message (${event.num}) ${why}`));
    return item;
  }
  const text = el('span', 'text', event.text);
  if (entry.mentionsMe) item.classList.add('mention');
  item.append(text);
  if (event.editedAt) item.append(' ', el('span', 'edited', '(edited)'));
  if (event.expiresAt) item.append(' ', el('span', 'expires', `(disappears at ${serverTime(event.expiresAt)})`));
  return item;
}

export function renderRoomList(list: HTMLElement, state: ChatState, onPick: (room: string) => void): void {
  const rooms = [...state.rooms.values()].sort(byKindThenName);
  list.replaceChildren(
    ...rooms.map((room) => {
      const item = el('li');
      const button = el('button', `room${room.name === state.current ? ' current' : ''}${room.mentioned ? ' mentioned' : ''}`);
      button.type = 'button';
      button.dataset.room = room.name;
      if (room.name === state.current) button.setAttribute('aria-current', 'true');
      button.append(el('span', 'label', room.label));
      const kind = room.info?.kind === 'secret' ? ' (secret)' : '';
      const role = room.info?.role === 'admin' ? ' admin' : '';
      if (kind || role) button.append(el('span', 'meta', `${kind}${role}`));
      if (room.unread > 0) button.append(el('span', 'unread', String(room.unread)));
      button.setAttribute('aria-label', `${room.label}${kind}${role}${room.unread > 0 ? `, ${room.unread} unread` : ''}`);
      button.addEventListener('click', () => onPick(room.name));
      item.append(button);
      return item;
    }),
  );
}

export function renderOnline(list: HTMLElement, count: HTMLElement, state: ChatState): void {
  const names = [...state.online.values()].sort((a, b) => a.localeCompare(b));
  count.textContent = `(${names.length})`;
  list.replaceChildren(...names.map((name) => el('li', name === state.me ? 'me' : undefined, name)));
}

function byKindThenName(a: RoomView, b: RoomView): number {
  const rank = (room: RoomView): number => (room.name === 'general' ? 0 : room.name.startsWith('dm:') ? 2 : 1);
  return rank(a) - rank(b) || a.label.localeCompare(b.label);
}
