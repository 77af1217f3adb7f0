import { ERROR_CODES, WarrenError, isWarrenError, type ChatEvent } from '../../shared/index.js';
import type { WarrenClient } from '../lib/warren-client.js';
import { parseInput } from '../commands.js';
import { mentions, type Formatter } from './format.js';

export interface Output {
  print(...lines: string[]): void;
  bell(): void;
  /** Errors and connection notices (stderr in script mode, the screen otherwise). */
  printError(line: string): void;
}

/**
 * What a typed line does, for both the interactive terminal and script mode: parse it, send it or
 * run the command, and print the outcome. Also renders everything the client library reports.
 */
export class SessionController {
  private readonly pendingSends = new Set<Promise<unknown>>();
  private failedSends = 0;
  readonly online = new Set<string>();

  constructor(
    private readonly client: WarrenClient,
    private readonly format: Formatter,
    private readonly output: Output,
  ) {
    client.on('message', (event) => this.showMessage(event));
    client.on('presence', (event) => {
      if (event.name === client.name) return;
      if (event.event === 'joined') this.online.add(event.name);
      else this.online.delete(event.name);
      this.output.print(this.format.presence(event));
    });
    let interrupted = false;
    client.on('status', (status) => {
      // The first "connected" is not news; a reconnection is.
      if (status.state === 'connected' && !interrupted) return;
      if (status.state === 'disconnected' || status.state === 'reconnecting') interrupted = true;
      const line = this.format.status(status);
      if (line !== undefined) this.output.printError(line);
    });
    client.on('sessionLost', (error) => this.output.printError(this.format.error(error.code, `${error.message}`)));
  }

  /** Returns 'exit' when the line asks to leave. Never throws: every failure is printed. */
  async handleLine(line: string): Promise<'continue' | 'exit'> {
    try {
      const input = parseInput(line);
      switch (input.kind) {
        case 'empty':
          return 'continue';
        case 'say':
          this.send(input.text);
          return 'continue';
        case 'command':
          switch (input.name) {
            case 'exit':
              return 'exit';
            case 'help':
              this.output.print(...this.format.help());
              return 'continue';
            case 'users': {
              const users = await this.client.users();
              for (const user of users) this.online.add(user.name);
              this.output.print(...this.format.users(users));
              return 'continue';
            }
            case 'mymsgs':
              this.output.print(...this.format.myMessages(await this.client.myMessages()));
              return 'continue';
            case 'history': {
              const page = await this.client.history(input.count === undefined ? {} : { limit: input.count });
              this.output.print(...this.format.history(page.messages));
              return 'continue';
            }
          }
      }
    } catch (err) {
      this.reportError(err);
      return 'continue';
    }
  }

  /** Waits until every message sent so far is accepted or refused; resolves with how many were not accepted. */
  async settle(): Promise<number> {
    await Promise.allSettled([...this.pendingSends]);
    return this.failedSends;
  }

  private send(text: string): void {
    const accepted = this.client.send(text).catch((err: unknown) => {
      this.failedSends += 1;
      const code = isWarrenError(err) ? err.code : ERROR_CODES.NOT_ACCEPTED;
      const reason = err instanceof Error ? err.message : String(err);
      this.output.printError(this.format.error(code, `not sent: ${reason}`));
    });
    this.pendingSends.add(accepted);
    void accepted.finally(() => this.pendingSends.delete(accepted));
  }

  private showMessage(event: ChatEvent): void {
    const me = this.client.name;
    const mine = me !== undefined && event.from === me;
    const mentionsMe = !mine && me !== undefined && mentions(event.text, me);
    this.output.print(this.format.message(event, { mine, mentionsMe }));
    if (mentionsMe) this.output.bell();
  }

  private reportError(err: unknown): void {
    const error = isWarrenError(err) ? err : new WarrenError(ERROR_CODES.INTERNAL, err instanceof Error ? err.message : String(err));
    this.output.printError(this.format.error(error.code, error.message));
  }
}
