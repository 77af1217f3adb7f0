import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** One condition of readiness, by a name the 503 body reports: true when it holds. */
export interface ReadinessCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

export interface MetricsServerOptions {
  host: string;
  /** 0: any free port (read it back from `port`). */
  port: number;
  registry: Registry;
  /** Every one must hold for /readyz to answer 200. */
  readiness: readonly ReadinessCheck[];
  /** A check that has not answered within this long counts as failing (default 2000 ms). */
  checkTimeoutMs?: number;
}

const ROUTES = new Set(['/metrics', '/healthz', '/readyz']);
const ALLOWED_METHODS = 'GET, HEAD';

/**
 * The metrics and health endpoint, on a port of its own (never the chat's):
 * `/metrics` (Prometheus text format), `/healthz` (the process is alive: always 200) and `/readyz`
 * (200 when every readiness check holds, otherwise 503 with a JSON body naming the failing ones).
 * Only GET and HEAD; anything else is 405, an unknown path 404.
 */
export class MetricsServer {
  private closing: Promise<void> | undefined;
  /** The port listened on (the one chosen when 0 was asked for). */
  readonly port: number;

  private constructor(
    private readonly server: Server,
    private readonly options: MetricsServerOptions,
  ) {
    this.port = (server.address() as AddressInfo).port;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  /** Resolves once listening; rejects with the listen error (EADDRINUSE, EACCES, ...). */
  static async start(options: MetricsServerOptions): Promise<MetricsServer> {
    const server = createServer();
    // Scrapers and probes answer in milliseconds; anyone slower is cut early.
    server.headersTimeout = 5_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Requests are handled from here on (none can arrive before this synchronous step).
    return new MetricsServer(server, options);
  }

  /** The checks, each true or false (a check that throws or hangs is false). */
  async readiness(): Promise<Record<string, boolean>> {
    const timeoutMs = this.options.checkTimeoutMs ?? 2000;
    const results = await Promise.all(this.options.readiness.map(({ check }) => holds(check, timeoutMs)));
    return Object.fromEntries(this.options.readiness.map(({ name }, i) => [name, results[i] ?? false]));
  }

  /** Idempotent; open keep-alive connections are closed too. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (!ROUTES.has(path)) return send(res, req, 404, 'text/plain; charset=utf-8', `not found: the paths are ${[...ROUTES].join(', ')}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', ALLOWED_METHODS);
      return send(res, req, 405, 'text/plain; charset=utf-8', `method ${req.method ?? ''} not allowed: use ${ALLOWED_METHODS}\n`);
    }
    try {
      if (path === '/healthz') return send(res, req, 200, 'application/json', `${JSON.stringify({ status: 'alive' })}\n`);
      if (path === '/readyz') {
        const checks = await this.readiness();
        const failing = Object.keys(checks).filter((name) => !checks[name]);
        const body = failing.length === 0 ? { status: 'ready', checks } : { status: 'not ready', failing, checks };
        return send(res, req, failing.length === 0 ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
      }
      const text = await this.options.registry.metrics();
      return send(res, req, 200, this.options.registry.contentType, text);
    } catch (err) {
      return send(res, req, 500, 'text/plain; charset=utf-8', `${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

function send(res: ServerResponse, req: IncomingMessage, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function holds(check: ReadinessCheck['check'], timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    return (await Promise.race([Promise.resolve().then(check), timeout])) === true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
