import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthorityPolicy, Decision } from './policy.js';
import type { Permission, ResourceKind } from './permissions.js';

/**
 * The HTTP face of the authority, as `rabbitmq_auth_backend_http` (3.10) calls it: form-encoded
 * POSTs to /auth/user, /auth/vhost, /auth/resource, /auth/topic; the answer is the plain-text body
 * `allow`, `allow <tags>` (only /auth/user may carry tags: the broker fails the connection on tags
 * elsewhere, seen on 3.10.8) or `deny`. Anything malformed gets a 4xx and `deny` (the broker
 * treats any non-2xx as a refusal), never an exception.
 */

export type AuthPath = 'user' | 'vhost' | 'resource' | 'topic';
const PATHS: readonly AuthPath[] = ['user', 'vhost', 'resource', 'topic'];

const REQUIRED: Record<AuthPath, readonly string[]> = {
  user: ['username', 'password'],
  vhost: ['username', 'vhost'],
  resource: ['username', 'vhost', 'resource', 'name', 'permission'],
  topic: ['username', 'vhost', 'resource', 'name', 'permission', 'routing_key'],
};
const RESOURCES: readonly string[] = ['queue', 'exchange', 'topic'];
const PERMISSIONS: readonly string[] = ['configure', 'write', 'read'];

/** Larger than any honest request (names are at most 255 bytes, secrets 43 characters). */
export const MAX_BODY_BYTES = 4096;

export interface AuthorityHttpLogger {
  warn(message: string): void;
}

export interface AuthorityHttpOptions {
  logger?: AuthorityHttpLogger;
  /** Called after every decision, for the log or figures; must not throw. */
  onDecision?: (path: AuthPath, fields: Readonly<Record<string, string>>, decision: Decision, micros: number) => void;
  /** Which peers may ask (server/authority/peer-allow.ts); others get 403 `deny`. Absent = anyone. */
  allowPeer?: (address: string | undefined) => boolean;
}

/** Per path: how many asked, allowed, and the time the decision took in the process (microseconds). */
export interface AuthorityStats {
  readonly count: number;
  readonly allowed: number;
  readonly refusedBadRequest: number;
  readonly totalMicros: number;
  readonly maxMicros: number;
}

export class AuthorityHttpServer {
  private readonly server: Server;
  private readonly counters = new Map<AuthPath | 'bad', { count: number; allowed: number; bad: number; total: number; max: number }>();
  private closing: Promise<void> | undefined;

  constructor(private readonly policy: AuthorityPolicy, private readonly options: AuthorityHttpOptions = {}) {
    this.server = createServer((req, res) => this.handle(req, res));
    // Slow or idle peers are cut early: only the broker should call, and it answers in milliseconds.
    this.server.headersTimeout = 5_000;
    this.server.requestTimeout = 5_000;
    this.server.keepAliveTimeout = 30_000;
    this.server.maxHeadersCount = 50;
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Listens; resolves with the port (useful with port 0). May be tried again after a failure (EADDRINUSE). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server.removeListener('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        this.server.removeListener('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(port, host);
    });
  }

  /** Stops accepting, ends idle keep-alive connections, waits for the rest. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise<void>((resolve) => {
        if (!this.server.listening) return resolve();
        this.server.close(() => resolve());
        this.server.closeIdleConnections();
        // A request in flight gets its answer; a peer that holds a socket open longer is cut.
        setTimeout(() => this.server.closeAllConnections(), 1_000).unref();
      });
    }
    return this.closing;
  }

  stats(): Record<AuthPath, AuthorityStats> {
    const out = {} as Record<AuthPath, AuthorityStats>;
    for (const path of PATHS) {
      const c = this.counters.get(path) ?? { count: 0, allowed: 0, bad: 0, total: 0, max: 0 };
      out[path] = { count: c.count, allowed: c.allowed, refusedBadRequest: c.bad, totalMicros: c.total, maxMicros: c.max };
    }
    return out;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.options.allowPeer && !this.options.allowPeer(req.socket.remoteAddress)) {
      return this.reject(req, res, 403, 'bad', `peer ${req.socket.remoteAddress ?? '?'} may not ask the authority`);
    }
    const path = parsePath(req.url);
    if (!path) return this.reject(req, res, 404, 'bad', 'unknown path');
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return this.reject(req, res, 405, path, `method ${req.method ?? '?'}`);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') return this.reject(req, res, 415, path, `content type ${type || '(none)'}`);
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) return this.reject(req, res, 413, path, 'body too large');
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        this.reject(req, res, 413, path, 'body too large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      done = true;
      res.destroy();
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      this.decide(path, Buffer.concat(chunks), res);
    });
  }

  private decide(path: AuthPath, body: Buffer, res: ServerResponse): void {
    const fields = parseForm(body, REQUIRED[path]);
    if (typeof fields === 'string') return this.reply(res, 400, 'deny', path, true, fields);
    const started = process.hrtime.bigint();
    let decision: Decision;
    try {
      decision = this.ask(path, fields);
    } catch (err) {
      this.options.logger?.warn(`authority: /auth/${path} failed: ${err instanceof Error ? err.message : String(err)}`);
      return this.reply(res, 500, 'deny', path, false);
    }
    const micros = Number((process.hrtime.bigint() - started) / 1000n);
    const c = this.counter(path);
    c.count += 1;
    c.total += micros;
    c.max = Math.max(c.max, micros);
    if (decision.allow) c.allowed += 1;
    try {
      this.options.onDecision?.(path, fields, decision, micros);
    } catch {
      /* a listener's fault is not the broker's */
    }
    const answer = decision.allow ? (path === 'user' && decision.tags.length > 0 ? `allow ${decision.tags.join(' ')}` : 'allow') : 'deny';
    this.reply(res, 200, answer, path, false);
  }

  private ask(path: AuthPath, f: Record<string, string>): Decision {
    const username = f.username ?? '';
    const vhost = f.vhost ?? '';
    switch (path) {
      case 'user':
        return this.policy.user({ username, password: f.password ?? '' });
      case 'vhost':
        return this.policy.vhostAccess({ username, vhost, ...(f.ip === undefined ? {} : { ip: f.ip }) });
      case 'resource':
        return this.policy.resource({ username, vhost, resource: f.resource as ResourceKind, name: f.name ?? '', permission: f.permission as Permission });
      case 'topic':
        return this.policy.topic({
          username,
          vhost,
          resource: f.resource as ResourceKind,
          name: f.name ?? '',
          permission: f.permission as Permission,
          routingKey: f.routing_key ?? '',
        });
    }
  }

  private reject(req: IncomingMessage, res: ServerResponse, status: number, path: AuthPath | 'bad', why: string): void {
    this.reply(res, status, 'deny', path, true, why);
    // Whatever else the peer sends is not read: the socket goes once the answer is out.
    req.resume();
  }

  private reply(res: ServerResponse, status: number, body: string, path: AuthPath | 'bad', bad: boolean, why?: string): void {
    if (bad) this.counter(path).bad += 1;
    if (why && status >= 400) this.options.logger?.warn(`authority: ${status} on /auth/${path}: ${why}`);
    if (res.headersSent) return;
    const close = status >= 400;
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...(close ? { Connection: 'close' } : {}) });
    res.end(body);
  }

  private counter(path: AuthPath | 'bad'): { count: number; allowed: number; bad: number; total: number; max: number } {
    let c = this.counters.get(path);
    if (!c) {
      c = { count: 0, allowed: 0, bad: 0, total: 0, max: 0 };
      this.counters.set(path, c);
    }
    return c;
  }
}

function parsePath(url: string | undefined): AuthPath | undefined {
  if (!url) return undefined;
  const path = url.split('?')[0];
  const match = /^\/auth\/(user|vhost|resource|topic)$/.exec(path ?? '');
  return match ? (match[1] as AuthPath) : undefined;
}

/**
 * The form's fields, or why it is refused: not UTF-8, a required field missing or given twice,
 * `resource`/`permission` outside the broker's vocabulary. Extra fields (`ip`, `tags`,
 * `variable_map.*`) are accepted and ignored.
 */
export function parseForm(body: Buffer, required: readonly string[]): Record<string, string> | string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return 'the body is not UTF-8';
  }
  const params = new URLSearchParams(text);
  const fields: Record<string, string> = {};
  for (const key of required) {
    const values = params.getAll(key);
    if (values.length === 0) return `missing field ${key}`;
    if (values.length > 1) return `field ${key} given ${values.length} times`;
    fields[key] = values[0] ?? '';
  }
  if (fields.username === '') return 'empty username';
  if ('resource' in fields && !RESOURCES.includes(fields.resource ?? '')) return 'unknown resource kind';
  if ('permission' in fields && !PERMISSIONS.includes(fields.permission ?? '')) return 'unknown permission';
  return fields;
}
