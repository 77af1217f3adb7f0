import { ERROR_CODES, WarrenError, type ErrorReply } from '../../shared/index.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: WarrenError): void;
  timer: NodeJS.Timeout | undefined;
  what: string;
  /** Undefined: waits without a deadline. */
  timeoutMs: number | undefined;
}

/**
 * Requests waiting for their reply, matched by requestId. A deadline runs only while the request
 * is known to be with the broker: `arm` starts it when the publish is confirmed, and `disarmAll`
 * stops every clock when the connection drops (the request is published again after reconnecting,
 * which arms it again). So nothing is reported as failed merely because the client was offline.
 */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();

  /** `timeoutMs` undefined: no deadlines at all (chat messages wait for their verdict). */
  constructor(private readonly timeoutMs: number | undefined) {}

  wait<T>(requestId: string, what: string, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(requestId, { resolve: resolve as (value: unknown) => void, reject, timer: undefined, what, timeoutMs });
    });
  }

  /** (Re)starts the deadline of a request: it has just been confirmed by the broker. */
  arm(requestId: string): void {
    const entry = this.pending.get(requestId);
    if (!entry || entry.timeoutMs === undefined) return;
    clearTimeout(entry.timer);
    const timeoutMs = entry.timeoutMs;
    entry.timer = setTimeout(() => {
      if (this.pending.get(requestId) !== entry) return;
      this.pending.delete(requestId);
      entry.reject(new WarrenError(ERROR_CODES.REQUEST_TIMEOUT, `no answer to ${entry.what} within ${timeoutMs} ms`));
    }, timeoutMs);
  }

  /** The connection dropped: no clock runs until each request is confirmed again. */
  disarmAll(): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }

  /** Keeps waiting without a deadline: the answer is known to be coming (a message held until the chat activates). */
  hold(requestId: string): boolean {
    const entry = this.pending.get(requestId);
    if (entry) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.timeoutMs = undefined;
    }
    return entry !== undefined;
  }

  has(requestId: string): boolean {
    return this.pending.has(requestId);
  }

  resolve(requestId: string, value: unknown): boolean {
    const entry = this.take(requestId);
    entry?.resolve(value);
    return entry !== undefined;
  }

  fail(requestId: string, reply: ErrorReply): boolean {
    const entry = this.take(requestId);
    entry?.reject(new WarrenError(reply.code, reply.message));
    return entry !== undefined;
  }

  /** Rejects one request with a local error (the broker refused to take it). */
  reject(requestId: string, error: WarrenError): boolean {
    const entry = this.take(requestId);
    entry?.reject(error);
    return entry !== undefined;
  }

  rejectAll(error: WarrenError): void {
    for (const id of [...this.pending.keys()]) this.take(id)?.reject(error);
  }

  get size(): number {
    return this.pending.size;
  }

  private take(requestId: string): Pending | undefined {
    const entry = this.pending.get(requestId);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.pending.delete(requestId);
    return entry;
  }
}
