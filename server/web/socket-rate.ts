import { RateLimiterMemory } from 'rate-limiter-flexible';
import { WEB_LIMITS } from '../../shared/web-protocol.js';

/** A page that sends more than WEB_LIMITS.framesPerSecond frames in a second has the rest refused. */
export class SocketRate {
  private readonly limiter = new RateLimiterMemory({ points: WEB_LIMITS.framesPerSecond, duration: 1 });

  /** True when the frame may be handled. */
  async allow(socketId: string): Promise<boolean> {
    try {
      await this.limiter.consume(socketId);
      return true;
    } catch {
      return false;
    }
  }

  forget(socketId: string): void {
    void this.limiter.delete(socketId);
  }
}
