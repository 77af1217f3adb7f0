/**
 * Notices that the person's terminal has gone although nothing says so. Closing the window that
 * runs `docker exec -it … warren` (or `docker-compose exec`) does not signal the process inside
 * the container: its input simply stops and its output is thrown away, so without this the user
 * would stay online for good. Every terminal answers a Device Status Report request (ESC [5n) with
 * ESC [0n; the answer arrives as a key sequence readline ignores. Once the terminal has answered
 * once, a question left unanswered for two intervals means the terminal is gone. A terminal that
 * never answers is never judged gone.
 */
export const STATUS_REQUEST = '\x1b[5n';
export const STATUS_OK = '\x1b[0n';

export interface TerminalWatchOptions {
  /** The input readline reads: it emits 'keypress' events (readline turns them on). */
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  intervalMs: number;
  onGone: () => void;
}

/** Starts asking; returns the function that stops. */
export function watchTerminal(options: TerminalWatchOptions): () => void {
  let answered = false;
  let unansweredSince: number | undefined;
  const onKey = (_text: unknown, key?: { sequence?: string }): void => {
    if (key?.sequence !== STATUS_OK) return;
    answered = true;
    unansweredSince = undefined;
  };
  const ask = (): void => {
    unansweredSince ??= Date.now();
    options.output.write(STATUS_REQUEST);
  };
  const stop = (): void => {
    clearInterval(timer);
    options.input.off('keypress', onKey);
  };
  const timer = setInterval(() => {
    if (answered && unansweredSince !== undefined && Date.now() - unansweredSince >= 2 * options.intervalMs) {
      stop();
      options.onGone();
      return;
    }
    ask();
  }, options.intervalMs);
  options.input.on('keypress', onKey);
  // The first question goes out after one interval, not at once: an answer that arrives after
  // readline has let go of the terminal (someone leaving with Ctrl+D right after the welcome) is
  // echoed by the terminal itself, as `^[[0n` before "Bye.".
  return stop;
}
