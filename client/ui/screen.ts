import { createInterface, type Completer, type Interface } from 'node:readline';

/**
 * The only place that moves the cursor. Incoming lines are printed above the line being typed:
 * the input line (which may wrap over several rows) is cleared, the new line written, and the
 * prompt with the half-typed text redrawn with the cursor where it was.
 */
export interface ScreenOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { columns?: number };
  prompt: string;
  completer: Completer;
}

export class Screen {
  private readonly rl: Interface;
  private readonly output: ScreenOptions['output'];
  private closed = false;

  constructor(options: ScreenOptions) {
    this.output = options.output;
    this.rl = createInterface({
      input: options.input,
      output: options.output,
      prompt: options.prompt,
      completer: options.completer,
      terminal: true,
      historySize: 500,
      removeHistoryDuplicates: true,
    });
    this.rl.on('close', () => {
      this.closed = true;
    });
  }

  /** The submitted line is wiped from the screen: it comes back as a message once accepted. */
  onLine(handler: (line: string) => void): void {
    this.rl.on('line', (line: string) => {
      const columns = this.output.columns ?? 80;
      const width = visibleLength(this.rl.getPrompt()) + [...line].length;
      const rows = Math.max(1, Math.ceil(width / columns));
      this.output.write(`\x1b[${rows}A\r\x1b[J`);
      handler(line);
    });
  }

  /** Ctrl+D on an empty line, or the input ending. */
  onClose(handler: () => void): void {
    this.rl.on('close', handler);
  }

  onInterrupt(handler: () => void): void {
    this.rl.on('SIGINT', handler);
  }

  prompt(): void {
    if (!this.closed) this.rl.prompt(true);
  }

  setPrompt(prompt: string): void {
    this.rl.setPrompt(prompt);
    this.prompt();
  }

  print(...lines: string[]): void {
    if (this.closed) {
      for (const line of lines) this.output.write(`${line}\n`);
      return;
    }
    const { rows } = this.rl.getCursorPos();
    // Up to the first row of the prompt, to column 0, and clear everything below.
    if (rows > 0) this.output.write(`\x1b[${rows}A`);
    this.output.write('\r\x1b[J');
    for (const line of lines) this.output.write(`${line}\n`);
    this.rl.prompt(true);
  }

  bell(): void {
    this.output.write('\x07');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rl.close();
  }
}

function visibleLength(text: string): number {
  return [...text.replace(/\x1b\[[0-9;]*m/g, '')].length;
}
