import type { ActivatedEvent } from '../../shared/index.js';

/**
 * Whether the chat has reached its MIN_USERS threshold, as this client knows it. The one subtle
 * case: the login that activates the chat is answered as waiting (`active: false`), and its
 * 'activated' event may arrive before that answer is applied; it is kept until the login is done.
 */
export class Activation {
  private isActive = true;
  private loggingIn = false;
  private late: ActivatedEvent | undefined;

  get active(): boolean {
    return this.isActive;
  }

  loginStarted(): void {
    this.loggingIn = true;
    this.late = undefined;
  }

  /** The login's answer says whether the chat is active. */
  loginAnswered(active: boolean): void {
    this.isActive = active;
  }

  /** The login is over (answered and applied, or failed); returns an 'activated' that came meanwhile. */
  loginEnded(): ActivatedEvent | undefined {
    this.loggingIn = false;
    const late = this.late;
    this.late = undefined;
    return late;
  }

  /** An 'activated' event: true when it turns the chat active now (show it, fetch what was held). */
  activated(event: ActivatedEvent): boolean {
    if (this.loggingIn) {
      this.late = event;
      return false;
    }
    if (this.isActive) return false;
    this.isActive = true;
    return true;
  }
}
