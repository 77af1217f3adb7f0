import { WEB_CLOSE_CODES, WEB_ERROR_CODES } from '../../../shared/web-codes.js';
import type { BrowserFrame, ControlFrame, GatewayFrame, SequencedFrame, WebError } from '../../../shared/web-protocol.js';

const TOKEN_KEY = 'warren.session';
const BACKOFF_MS = { initial: 300, max: 5000 };

type Request = BrowserFrame extends infer F ? (F extends { ref: string } ? Omit<F, 'ref'> : never) : never;
type HelloOk = Extract<ControlFrame, { type: 'hello.ok' }>;

export interface LinkHandlers {
  /**
   * Every numbered frame but results, once each, in order. `oldNews`: replayed to a page that
   * reloaded, which the person has seen before (no unread count, no notification).
   */
  frame(frame: SequencedFrame, oldNews: boolean): void;
  /** The gateway no longer had every frame this page missed: draw afresh from this state. */
  redraw(hello: HelloOk): void;
  /** The socket's state, for the header. */
  state(text: string, ok: boolean): void;
  /** The session is over (logged out, expired, or taken over by another tab): show the login. */
  ended(reason: string): void;
  /** A complaint about a frame not tied to a request. */
  refused(error: WebError): void;
  /** Whether the session (new or resumed) has logged in; the welcome follows if it has. */
  loggedIn(yes: boolean): void;
}

export class RequestFailed extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * The page's one WebSocket to the gateway: says hello (resuming the session kept in this tab's
 * sessionStorage), counts numbered frames so a reconnect asks for exactly what it missed, and
 * sends again every request still unanswered (the gateway ignores a ref it already took).
 */
export class GatewayLink {
  private socket: WebSocket | undefined;
  private ready = false;
  private lastSeq = 0;
  /** After a reload's resume: frames up to this seq are old news. */
  private oldNewsUntil = 0;
  private attempt = 0;
  private nextRef = 1;
  private stopped = false;
  private readonly refPrefix = Math.random().toString(36).slice(2, 10);
  private readonly pending = new Map<string, { frame: BrowserFrame; resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(private readonly url: string, private readonly handlers: LinkHandlers) {}

  get hasSession(): boolean {
    return sessionStorage.getItem(TOKEN_KEY) !== null;
  }

  open(): void {
    this.stopped = false;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.handlers.state('connecting…', false);
    socket.addEventListener('open', () => {
      const resume = sessionStorage.getItem(TOKEN_KEY);
      this.send(resume === null ? { type: 'hello' } : { type: 'hello', resume, lastSeq: this.lastSeq });
    });
    socket.addEventListener('message', (event) => this.receive(JSON.parse(String(event.data)) as GatewayFrame));
    socket.addEventListener('close', (event) => this.closed(socket, event.code));
  }

  /** Sends a request; resolves with its result's value, rejects with RequestFailed. */
  request<T>(frame: Request): Promise<T> {
    const ref = `${this.refPrefix}-${this.nextRef++}`;
    const full = { ...frame, ref } as BrowserFrame;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(ref, { frame: full, resolve: resolve as (value: unknown) => void, reject });
      if (this.ready) this.send(full);
    });
  }

  /** Drops the session: the next open() starts a new one. */
  forget(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    this.lastSeq = 0;
  }

  /** For tests and the reconnect demonstration: the socket drops as a network cut would. */
  cut(): void {
    this.socket?.close(4000, 'cut');
  }

  private receive(frame: GatewayFrame): void {
    if (frame.type === 'hello.ok') return this.helloOk(frame);
    if (frame.type === 'error') return this.refusal(frame);
    if (frame.seq <= this.lastSeq) return;
    this.lastSeq = frame.seq;
    if (frame.type !== 'result') return this.handlers.frame(frame, frame.seq <= this.oldNewsUntil);
    const waiting = this.pending.get(frame.ref);
    if (!waiting) return;
    this.pending.delete(frame.ref);
    if (frame.ok) waiting.resolve(frame.value);
    else waiting.reject(new RequestFailed(frame.error.code, frame.error.message));
  }

  private helloOk(hello: HelloOk): void {
    // A page that resumes from nothing (a reload) is shown again what it had already shown.
    if (hello.resumed && this.lastSeq === 0) this.oldNewsUntil = hello.replayedUntil;
    sessionStorage.setItem(TOKEN_KEY, hello.token);
    this.ready = true;
    this.attempt = 0;
    this.handlers.state('connected', true);
    this.handlers.loggedIn(hello.loggedIn);
    if (!hello.complete) {
      this.lastSeq = hello.lastSeq;
      this.handlers.redraw(hello);
    }
    for (const waiting of this.pending.values()) this.send(waiting.frame);
  }

  private refusal(error: Extract<ControlFrame, { type: 'error' }>): void {
    if (error.code === WEB_ERROR_CODES.RESUME_UNKNOWN) {
      this.forget();
      this.handlers.ended(error.message);
      this.send({ type: 'hello' });
      return;
    }
    const waiting = error.ref === undefined ? undefined : this.pending.get(error.ref);
    if (waiting && error.ref !== undefined) {
      this.pending.delete(error.ref);
      waiting.reject(new RequestFailed(error.code, error.message));
    } else this.handlers.refused({ code: error.code, message: error.message });
  }

  private closed(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return;
    this.ready = false;
    if (code === WEB_CLOSE_CODES.ENDED || code === WEB_CLOSE_CODES.TAKEN_OVER) {
      this.forget();
      for (const waiting of this.pending.values()) waiting.reject(new RequestFailed('CLOSED', 'the session ended'));
      this.pending.clear();
      this.handlers.ended(code === WEB_CLOSE_CODES.TAKEN_OVER ? 'This session continued in another tab.' : 'You left the chat.');
      this.handlers.state('disconnected', false);
      if (code === WEB_CLOSE_CODES.ENDED) this.open();
      return;
    }
    if (this.stopped) return;
    const delay = Math.min(BACKOFF_MS.max, BACKOFF_MS.initial * 2 ** this.attempt) * (0.75 + Math.random() / 2);
    this.attempt += 1;
    this.handlers.state(`connection lost; reconnecting in ${(delay / 1000).toFixed(1)} s`, false);
    setTimeout(() => this.open(), delay);
  }

  private send(frame: BrowserFrame): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }
}
