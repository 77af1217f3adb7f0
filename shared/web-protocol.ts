import { z } from 'zod';
import { LIMITS } from './limits.js';
import { WEB_LIMITS } from './web-codes.js';
import type { ChatEvent, LoginOk, MessageRemoved, MessageUpdated, PresenceEvent, RoomEvent, RoomInfo, UserInfo, WhoisInfo, HistoryList } from './server-messages.js';
import type { WebErrorCode } from './web-codes.js';

export * from './web-codes.js';

/**
 * The web gateway's protocol (docs/WEB.md): JSON frames over one WebSocket between a page and the
 * gateway, which runs one WarrenClient per browser session. Each browser frame names one call of
 * the client library's public API, no more: the page can do what a terminal user can, nothing else.
 */

const ref = z.string().min(1).max(WEB_LIMITS.maxRefLength);
const text = z.string().min(1).max(LIMITS.maxTextLength * 2);
const room = z.string().min(1).max(64);
const user = z.string().min(1).max(LIMITS.maxNameLength * 4);
const positive = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** Each method is one public method of WarrenClient (client/lib/command-methods.ts), with its arguments. */
export const webCallSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('users') }),
  z.strictObject({ method: z.literal('myMessages') }),
  z.strictObject({ method: z.literal('listRooms') }),
  z.strictObject({
    method: z.literal('history'),
    room,
    afterSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    limit: z.number().int().min(1).max(LIMITS.maxHistoryPage).optional(),
  }),
  z.strictObject({ method: z.literal('createRoom'), room, secret: z.boolean() }),
  z.strictObject({ method: z.literal('joinRoom'), room }),
  z.strictObject({ method: z.literal('leaveRoom'), room }),
  z.strictObject({ method: z.enum(['invite', 'kick', 'promote']), user, room }),
  z.strictObject({ method: z.literal('whois'), user }),
  z.strictObject({ method: z.literal('edit'), num: positive, text }),
  z.strictObject({ method: z.literal('delete'), num: positive }),
  z.strictObject({ method: z.literal('setRoomTtl'), room, ttlMs: positive.nullable() }),
  z.strictObject({ method: z.literal('register'), password: z.string().min(1).max(1024) }),
]);
export type WebCall = z.infer<typeof webCallSchema>;
export type WebMethod = WebCall['method'];

/** Frames from the page to the gateway. */
export const browserFrameSchema = z.discriminatedUnion('type', [
  /** First frame of every socket: a new session, or `resume` one after a drop, replaying frames after `lastSeq`. */
  z.strictObject({ type: z.literal('hello'), resume: z.string().min(1).max(128).optional(), lastSeq: z.number().int().nonnegative().optional() }),
  z.strictObject({ type: z.literal('login'), ref, name: user, password: z.string().min(1).max(1024).optional() }),
  z.strictObject({
    type: z.literal('send'),
    ref,
    text,
    room: room.optional(),
    to: user.optional(),
    ttlMs: positive.optional(),
  }),
  z.strictObject({ type: z.literal('call'), ref, call: webCallSchema }),
  z.strictObject({ type: z.literal('logout'), ref }),
]);
export type BrowserFrame = z.infer<typeof browserFrameSchema>;

/** What a successful call answers, by method. */
export interface WebCallResults {
  users: UserInfo[];
  myMessages: ChatEvent[];
  listRooms: RoomInfo[];
  history: HistoryList;
  createRoom: RoomInfo;
  joinRoom: RoomInfo;
  leaveRoom: string;
  invite: string;
  kick: string;
  promote: string;
  whois: WhoisInfo;
  edit: string;
  delete: string;
  setRoomTtl: string;
  register: string;
}

export interface WebError {
  code: string;
  message: string;
}

/** What the page needs of a login to draw its first screen. */
export type WebWelcome = Pick<LoginOk, 'name' | 'room' | 'users' | 'rooms' | 'active' | 'minUsers'>;

/** The client library's connection to the broker, as the page shows it. */
export type WebLinkState = { state: 'connected' | 'disconnected' | 'reconnecting' | 'failed'; detail: string };

/** Frames the gateway sends within a session; each has a `seq` so a resumed socket gets exactly what it missed. */
export type SessionFrame =
  | { type: 'result'; ref: string; ok: true; value: unknown }
  | { type: 'result'; ref: string; ok: false; error: WebError }
  | { type: 'welcome'; welcome: WebWelcome }
  | { type: 'message'; event: ChatEvent; recent: boolean }
  | { type: 'messageUpdated'; update: MessageUpdated }
  | { type: 'messageRemoved'; removal: MessageRemoved }
  | { type: 'roomEvent'; event: RoomEvent }
  | { type: 'presence'; event: PresenceEvent }
  | { type: 'rooms'; rooms: RoomInfo[] }
  | { type: 'notice'; level: 'info' | 'ok' | 'warn' | 'error'; text: string; code?: string }
  | { type: 'link'; link: WebLinkState }
  | { type: 'sessionLost'; error: WebError };

export type SequencedFrame = SessionFrame & { seq: number };

/** Frames outside the sequence: the answer to hello, and complaints about a frame. */
export type ControlFrame =
  | {
      type: 'hello.ok';
      token: string;
      resumed: boolean;
      /** Whether the session has logged in (a resumed page that is not shows the login). */
      loggedIn: boolean;
      /** False when frames the page missed are no longer kept: it must draw afresh from `state`. */
      complete: boolean;
      /** The seq of the last frame before those that follow: the page counts on from here. */
      lastSeq: number;
      /** The newest seq at this moment: frames up to it are replayed (old news to a page that reloaded). */
      replayedUntil: number;
      state?: { welcome: WebWelcome | undefined; online: string[]; rooms: RoomInfo[] };
    }
  | { type: 'error'; code: WebErrorCode; message: string; ref?: string };

export type GatewayFrame = SequencedFrame | ControlFrame;
