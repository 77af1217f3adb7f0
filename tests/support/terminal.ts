import { spawn as spawnPty, type IPty } from 'node-pty';
import xterm from '@xterm/headless';
import { OPEN_MODE_ENV } from './broker.js';
import { waitFor } from './wait.js';

/**
 * A real program in a pseudo-terminal, with a headless xterm rendering what it prints, so tests
 * read the screen a person would see (not the raw byte stream) and type into it.
 */
export class TerminalSession {
  private readonly pty: IPty;
  private readonly terminal: xterm.Terminal;
  private raw = '';
  readonly exited: Promise<number>;

  constructor(command: string, args: string[], env: Record<string, string>, size = { cols: 100, rows: 40 }) {
    this.terminal = new xterm.Terminal({ cols: size.cols, rows: size.rows, allowProposedApi: true });
    this.pty = spawnPty(command, args, { name: 'xterm-256color', cols: size.cols, rows: size.rows, env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', ...OPEN_MODE_ENV, ...env } });
    this.pty.onData((data) => {
      this.raw += data;
      this.terminal.write(data);
    });
    this.exited = new Promise((resolve) => this.pty.onExit(({ exitCode }) => resolve(exitCode)));
  }

  /** Everything printed so far, as raw bytes (escape sequences included). */
  get rawOutput(): string {
    return this.raw;
  }

  /** The screen plus scrollback, one string per row, trailing spaces trimmed. */
  lines(): string[] {
    const buffer = this.terminal.buffer.active;
    const rows: string[] = [];
    for (let index = 0; index < buffer.length; index += 1) {
      const line = buffer.getLine(index);
      const text = line?.translateToString(true) ?? '';
      // A row the terminal wrapped continues the row above: join them back into one line.
      if (line?.isWrapped && rows.length > 0) rows[rows.length - 1] += text;
      else rows.push(text);
    }
    while (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
    return rows;
  }

  text(): string {
    return this.lines().join('\n');
  }

  /** The row the cursor is on: the line being typed. */
  cursorLine(): string {
    const buffer = this.terminal.buffer.active;
    return (buffer.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true) ?? '').trimEnd();
  }

  type(text: string): void {
    this.pty.write(text);
  }

  enter(line: string): void {
    this.pty.write(`${line}\r`);
  }

  async waitForText(pattern: string | RegExp, timeoutMs = 10_000): Promise<void> {
    await waitFor(
      () => (typeof pattern === 'string' ? this.text().includes(pattern) : pattern.test(this.text())),
      () => `${String(pattern)} on the screen; screen was:\n${this.text()}`,
      timeoutMs,
    );
  }

  kill(): void {
    try {
      this.pty.kill();
    } catch {
      /* already gone */
    }
  }
}
