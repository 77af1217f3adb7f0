import { createInterface, type Completer, type Interface } from 'node:readline';

/**
 * The only place that moves the cursor. Incoming lines are printed above the line being typed:
 * the input line (which may wrap over several rows) is cleared, the new line written, and the
 * prompt with the half-typed text redrawn with the cursor where it was. A message line can later
 * be replaced in place (edited) or blanked (deleted, expired): the screen is redrawn from the
 * transcript it keeps, and the terminal's scrollback is cleared so the old text is really gone.
 */
export interface ScreenOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { columns?: number; rows?: number };
  prompt: string;
  completer: Completer;
}

const TRANSCRIPT_LIMIT = 2000;

export class Screen {
  private readonly rl: Interface;
  private readonly output: ScreenOptions['output'];
  private readonly transcript: { num?: number; line: string }[] = [];
  private closed = false;
  /** Set while a hidden line is being read (askHidden): what is typed shows as `*`. */
  private secret: ((line: string) => void) | undefined;

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
    // Ctrl+D or the end of input: take the prompt off the screen, so what follows (Leaving…,
    // Bye.) starts on a clean line instead of after the prompt.
    this.rl.on('close', () => {
      if (!this.closed) this.clearInputRows();
      this.closed = true;
    });
    // readline writes the prompt and the typed text through this one method (Node's own hook for
    // muting input): while a secret is read, the typed text goes out as stars, redraws included.
    const rl = this.rl as unknown as ReadlineInternals;
    const write = rl._writeToOutput.bind(rl);
    rl._writeToOutput = (text: string) => write(this.secret ? maskTyped(text, rl.line, this.rl.getPrompt()) : text);
  }

  /**
   * Reads the next line without showing it (each character is a `*`, also when messages are
   * printed meanwhile) and keeps it out of the line history; the prompt comes back afterwards.
   */
  askHidden(question: string): Promise<string> {
    const previous = this.rl.getPrompt();
    return new Promise((resolve) => {
      this.secret = (line) => {
        this.secret = undefined;
        const history = (this.rl as unknown as ReadlineInternals).history;
        if (Array.isArray(history) && history[0] === line) history.shift();
        this.rl.setPrompt(previous);
        resolve(line);
      };
      this.setPrompt(question);
    });
  }

  /** The submitted line is wiped from the screen: it comes back as a message once accepted. */
  onLine(handler: (line: string) => void): void {
    this.rl.on('line', (line: string) => {
      const rows = this.rowsOf(visibleLength(this.rl.getPrompt()) + [...line].length);
      this.output.write(`\x1b[${rows}A\r\x1b[J`);
      if (this.secret) this.secret(line);
      else handler(line);
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
    for (const line of lines) this.remember({ line });
    this.writeAbovePrompt(lines);
  }

  printMessage(num: number, line: string): void {
    this.remember({ num, line });
    this.writeAbovePrompt([line]);
  }

  /** Replaces a message's line where it stands; if it scrolled out of the transcript, prints the notice. */
  replaceMessage(num: number, line: string, notice: string): void {
    const entry = this.transcript.find((candidate) => candidate.num === num);
    if (!entry || this.closed) {
      this.print(notice);
      return;
    }
    entry.line = line;
    this.redraw();
  }

  bell(): void {
    this.output.write('\x07');
  }

  close(): void {
    if (this.closed) return;
    this.clearInputRows();
    this.closed = true;
    this.rl.close();
  }

  private remember(entry: { num?: number; line: string }): void {
    this.transcript.push(entry);
    if (this.transcript.length > TRANSCRIPT_LIMIT) this.transcript.shift();
  }

  private writeAbovePrompt(lines: string[]): void {
    if (this.closed) {
      for (const line of lines) this.output.write(`${line}\n`);
      return;
    }
    this.clearInputRows();
    for (const line of lines) this.output.write(`${line}\n`);
    this.rl.prompt(true);
  }

  /** Clears the screen and its scrollback, then shows as much of the transcript as fits above the prompt. */
  private redraw(): void {
    const budget = Math.max(1, (this.output.rows ?? 24) - 1);
    const shown: string[] = [];
    let used = 0;
    for (let index = this.transcript.length - 1; index >= 0; index -= 1) {
      const line = this.transcript[index]?.line ?? '';
      used += this.rowsOf(visibleLength(line));
      if (used > budget) break;
      shown.unshift(line);
    }
    this.output.write('\x1b[H\x1b[2J\x1b[3J');
    for (const line of shown) this.output.write(`${line}\n`);
    this.rl.prompt(true);
  }

  private clearInputRows(): void {
    const { rows } = this.rl.getCursorPos();
    // Up to the first row of the prompt, to column 0, and clear everything below.
    if (rows > 0) this.output.write(`\x1b[${rows}A`);
    this.output.write('\r\x1b[J');
  }

  private rowsOf(width: number): number {
    return Math.max(1, Math.ceil(width / (this.output.columns ?? 80)));
  }
}

/** Node's readline members the masking uses (not in its typings). */
interface ReadlineInternals {
  _writeToOutput(text: string): void;
  line: string;
  history?: string[];
}

/** `text` as readline would write it, with the typed line replaced by stars; cursor moves pass as they are. */
export function maskTyped(text: string, line: string, prompt: string): string {
  if (line.length > 0 && text.endsWith(line) && text.startsWith(prompt)) return `${text.slice(0, text.length - line.length)}${'*'.repeat([...line].length)}`;
  if (text.startsWith(prompt)) return text;
  // One or more characters typed at the cursor (no escape sequence, no line end).
  if (!/[\x1b\r\n]/.test(text)) return '*'.repeat([...text].length);
  return text;
}

function visibleLength(text: string): number {
  return [...text.replace(/\x1b\[[0-9;]*m/g, '')].length;
}
