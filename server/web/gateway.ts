import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { WarrenClient } from '../../client/lib/warren-client.js';
import { WEB_ERROR_CODES, WEB_LIMITS, type ControlFrame } from '../../shared/web-protocol.js';
import type { Logger } from '../logger.js';
import { readFrame } from './frame-reader.js';
import { originAllowed } from './origin.js';
import { SocketRate } from './socket-rate.js';
import { SECURITY_HEADERS, type StaticFile } from './static-files.js';
import { WebCounters, type WebGatewayStats } from './stats.js';
import { WebSession, type FrameSink } from './web-session.js';

export const WEBSOCKET_PATH = '/ws';
/** How often each socket is pinged; one that has not answered the previous ping is dropped (its session waits for a resume). */
const PING_INTERVAL_MS = 20_000;

export interface WebGatewayOptions {
  host: string;
  port: number;
  files: Map<string, StaticFile>;
  createClient(): WarrenClient;
  maxSessions: number;
  resumeGraceMs: number;
  replayFrames: number;
  allowedOrigins: string[];
  /** Whether the broker answers now (for readiness). */
  brokerReachable(): Promise<boolean>;
  logger: Logger;
}

/**
 * The web gateway: serves the built page and, on /ws, speaks shared/web-protocol.ts with it,
 * running one WarrenClient per browser session (web-session.ts). It holds no broker secret: each
 * session's client mints its own identity, exactly like a terminal's.
 */
export class WebGateway {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Map<string, WebSession>();
  private readonly counters = new WebCounters();
  private readonly rate = new SocketRate();
  /** Whether each socket answered the last ping. */
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private pinger: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  readonly stats: WebGatewayStats;

  constructor(private readonly options: WebGatewayOptions) {
    this.http = createServer((request, response) => this.serveFile(request, response));
    // The library's own limit is a backstop: frames up to it get a FRAME_TOO_LARGE answer and the socket stays.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: WEB_LIMITS.maxFrameBytes * 8 });
    this.http.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
    this.wss.on('connection', (socket: WebSocket) => this.serveSocket(socket));
    const { counters, sessions } = this;
    this.stats = {
      get sessionsOpen() {
        return sessions.size;
      },
      get framesIn() {
        return counters.counts.framesIn;
      },
      get framesOut() {
        return counters.counts.framesOut;
      },
      get framesRefused() {
        return counters.counts.framesRefused;
      },
      get loginsRefused() {
        return counters.counts.loginsRefused;
      },
      get resumes() {
        return counters.counts.resumes;
      },
      get resumesRefused() {
        return counters.counts.resumesRefused;
      },
      isReady: () => options.brokerReachable(),
    };
  }

  /** Listens; resolves with the port (useful with port 0). */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => resolve());
    });
    this.pinger = setInterval(() => this.pingAll(), PING_INTERVAL_MS);
    this.pinger.unref();
    return (this.http.address() as AddressInfo).port;
  }

  /** Ordered and memoised: stop taking sockets, end every session (logging each client out), close the server. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.pinger);
      await Promise.all([...this.sessions.values()].map((session) => session.end()));
      for (const socket of this.wss.clients) socket.terminate();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      this.http.closeAllConnections();
      await new Promise<void>((resolve) => this.http.close(() => resolve()));
    })();
    return this.stopping;
  }

  private serveFile(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const file = request.method === 'GET' || request.method === 'HEAD' ? this.options.files.get(path) : undefined;
    if (!file) {
      response.writeHead(request.method === 'GET' || request.method === 'HEAD' ? 404 : 405, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('not found\n');
      return;
    }
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': file.type,
      'Content-Length': file.body.length,
      'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    response.end(request.method === 'HEAD' ? undefined : file.body);
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0];
    const refusal =
      path !== WEBSOCKET_PATH ? '404 Not Found' : this.stopping ? '503 Service Unavailable' : originAllowed(request.headers.origin, request.headers.host, this.options.allowedOrigins) ? undefined : '403 Forbidden';
    if (refusal) {
      if (refusal.startsWith('403')) this.options.logger.warn(`refused a WebSocket from origin ${JSON.stringify(request.headers.origin ?? '')} (not this page's, nor in WARREN_WEB_ALLOWED_ORIGINS)`);
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  private serveSocket(socket: WebSocket): void {
    const socketId = randomUUID();
    let session: WebSession | undefined;
    const sink: FrameSink = {
      send: (text) => socket.send(text),
      close: (code, reason) => socket.close(code, reason),
    };
    const refuse = (code: ControlFrame & { type: 'error' }): void => {
      this.counters.add('framesRefused');
      this.counters.add('framesOut');
      socket.send(JSON.stringify(code));
    };
    this.alive.set(socket, true);
    socket.on('pong', () => this.alive.set(socket, true));
    socket.on('message', async (data: RawData, isBinary: boolean) => {
      this.counters.add('framesIn');
      if (!(await this.rate.allow(socketId))) return refuse({ type: 'error', code: WEB_ERROR_CODES.FRAME_RATE, message: `more than ${WEB_LIMITS.framesPerSecond} frames in a second; this one was dropped` });
      const reading = readFrame(data as Buffer, isBinary);
      if (!reading.ok) return refuse({ type: 'error', code: reading.code, message: reading.message, ...(reading.ref === undefined ? {} : { ref: reading.ref }) });
      const frame = reading.frame;
      if (frame.type === 'hello') {
        if (session) return refuse({ type: 'error', code: WEB_ERROR_CODES.HELLO_REPEATED, message: 'this connection already said hello' });
        session = this.hello(frame.resume, refuse);
        session?.attach(sink, frame.resume === undefined ? undefined : (frame.lastSeq ?? 0));
        return;
      }
      if (!session) return refuse({ type: 'error', code: WEB_ERROR_CODES.HELLO_REQUIRED, message: 'the first frame must be hello', ...('ref' in frame ? { ref: frame.ref } : {}) });
      await session.handle(frame);
    });
    socket.on('close', () => {
      this.rate.forget(socketId);
      session?.detach(sink);
    });
    socket.on('error', () => undefined);
  }

  /** A new session, or the one `resume` names; undefined (and a refusal sent) when neither can be had. */
  private hello(resume: string | undefined, refuse: (frame: ControlFrame & { type: 'error' }) => void): WebSession | undefined {
    if (resume !== undefined) {
      const session = this.sessions.get(resume);
      if (!session) {
        this.counters.add('resumesRefused');
        refuse({ type: 'error', code: WEB_ERROR_CODES.RESUME_UNKNOWN, message: 'this session has ended (it waited too long, or the gateway restarted); log in again' });
        return undefined;
      }
      this.counters.add('resumes');
      return session;
    }
    if (this.sessions.size >= this.options.maxSessions) {
      refuse({ type: 'error', code: WEB_ERROR_CODES.TOO_MANY_SESSIONS, message: `the gateway serves ${this.options.maxSessions} sessions already; try again later` });
      return undefined;
    }
    const token = randomBytes(24).toString('base64url');
    const session = new WebSession({
      token,
      createClient: this.options.createClient,
      replayFrames: this.options.replayFrames,
      resumeGraceMs: this.options.resumeGraceMs,
      counters: this.counters,
      onEnded: (ended) => this.sessions.delete(ended),
    });
    this.sessions.set(token, session);
    return session;
  }

  private pingAll(): void {
    for (const socket of this.wss.clients) {
      if (this.alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      this.alive.set(socket, false);
      socket.ping();
    }
  }
}
