import type { Output } from './session-controller.js';

type Call = { [K in keyof Output]-?: { method: K; args: Parameters<NonNullable<Output[K]>> } }[keyof Output];

/** Holds what is printed before the screen exists (history delivered during login), then forwards it. */
export class BufferedOutput implements Output {
  private target: Output | undefined;
  private readonly held: Call[] = [];

  attach(target: Output): void {
    this.target = target;
    for (const call of this.held.splice(0)) this.forward(target, call);
  }

  print(...lines: string[]): void {
    this.route({ method: 'print', args: lines });
  }

  printMessage(num: number, line: string): void {
    this.route({ method: 'printMessage', args: [num, line] });
  }

  replaceMessage(num: number, line: string, notice: string): void {
    this.route({ method: 'replaceMessage', args: [num, line, notice] });
  }

  bell(): void {
    this.route({ method: 'bell', args: [] });
  }

  printError(line: string): void {
    this.route({ method: 'printError', args: [line] });
  }

  roomChanged(room: string): void {
    this.route({ method: 'roomChanged', args: [room] });
  }

  private route(call: Call): void {
    if (this.target) this.forward(this.target, call);
    else this.held.push(call);
  }

  private forward(target: Output, call: Call): void {
    (target[call.method] as ((...args: unknown[]) => void) | undefined)?.apply(target, call.args);
  }
}
