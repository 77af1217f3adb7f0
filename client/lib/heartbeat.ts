/**
 * Tells the coordinator every `intervalMs` that this session is alive (login.ok says how often).
 * `beat` decides whether a beat is due (logged in, connected) and sends it; a beat that fails is
 * not retried, the next one follows on time.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly beat: () => void) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(this.beat, intervalMs);
    // A heartbeat alone does not keep the process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
