import type { ChalkInstance } from 'chalk';

/** What an app (terminal or script) is given: its streams, colours and the signal to leave. */
export interface AppIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { columns?: number };
  errorOutput: NodeJS.WritableStream;
  chalk: ChalkInstance;
  /** Aborted on SIGTERM: leave cleanly. */
  signal: AbortSignal;
}

/** Rejects when the signal aborts (SIGTERM, or Ctrl+C in script mode): waiting for the broker can be given up. */
export function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new Error('interrupted while connecting'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
