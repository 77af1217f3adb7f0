import { ERROR_CODES, WarrenError, type ErrorReply } from '../../shared/index.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: WarrenError): void;
  timer: NodeJS.Timeout;
  what: string;
}

/** Requests waiting for their reply, matched by requestId, each with its own timeout. */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly timeoutMs: number) {}

  wait<T>(requestId: string, what: string, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new WarrenError(ERROR_CODES.REQUEST_TIMEOUT, `no answer to ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, { resolve: resolve as (value: unknown) => void, reject, timer, what });
    });
  }

  /** Keeps waiting without a deadline: the answer is known to be coming (a message held until the chat activates). */
  hold(requestId: string): boolean {
    const entry = this.pending.get(requestId);
    if (entry) clearTimeout(entry.timer);
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
