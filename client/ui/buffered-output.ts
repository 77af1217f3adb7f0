import type { Output } from './session-controller.js';

/** Holds lines printed before the screen exists (history delivered during login), then forwards. */
export class BufferedOutput implements Output {
  private target: Output | undefined;
  private readonly held: { kind: 'print' | 'error' | 'bell'; lines: string[] }[] = [];

  attach(target: Output): void {
    this.target = target;
    for (const entry of this.held.splice(0)) {
      if (entry.kind === 'print') target.print(...entry.lines);
      else if (entry.kind === 'error') target.printError(entry.lines[0] ?? '');
      else target.bell();
    }
  }

  print(...lines: string[]): void {
    if (this.target) this.target.print(...lines);
    else this.held.push({ kind: 'print', lines });
  }

  printError(line: string): void {
    if (this.target) this.target.printError(line);
    else this.held.push({ kind: 'error', lines: [line] });
  }

  bell(): void {
    if (this.target) this.target.bell();
    else this.held.push({ kind: 'bell', lines: [] });
  }
}
