import { decodeChat, decodeCommand, type ChatSend, type CommandRequest } from '../../shared/index.js';
import { admit, needsAdmission, type AdmissionDeps } from '../accounts/admission.js';
import type { Logger } from '../logger.js';
import type { Input } from './handle-input.js';

/**
 * Runs the asynchronous part of admitting an input (server/accounts/admission.ts: rate limits,
 * scrypt) before the input joins a batch, so the synchronous group commit never waits for a hash.
 *
 * Order: while one input of a sender is being admitted, every later input of that sender waits
 * behind it here and follows it in arrival order; other senders go on meanwhile. A user's inputs
 * are therefore handled in the order they were sent (a /register then a /logout stays in that
 * order), and a login waiting for its hash delays nobody else. The sender is the broker user
 * (`user_id`) when the message carries one, else its session token, else a login's client id.
 */
export class AdmissionGate<T extends Input> {
  /** Senders with an input being admitted, and what arrived from them since. */
  private readonly waiting = new Map<string, T[]>();

  constructor(
    private readonly deps: AdmissionDeps,
    private readonly release: (input: T) => void,
    private readonly logger: Logger,
  ) {}

  enter(arrived: T): void {
    const value = decodeOf(arrived);
    if (value === undefined) {
      this.release(arrived); // refused by the handler tier as it always was
      return;
    }
    // Decoded once, here: the handler takes the value rather than parsing the body again. Set on
    // the input itself (the gate is its only holder now), not on a copy: one object less per input.
    const input = arrived;
    input.value = value;
    const sender = senderOf(input, value);
    const behind = this.waiting.get(sender);
    if (behind) {
      behind.push(input);
      return;
    }
    if (!needsAdmission(value, this.deps.rateLimits)) {
      this.release(input);
      return;
    }
    this.waiting.set(sender, []);
    void this.admitFrom(sender, input, value);
  }

  /** Senders with inputs held here (for tests and the stop path). */
  get busy(): number {
    return this.waiting.size;
  }

  private async admitFrom(sender: string, first: T, firstValue: ChatSend | CommandRequest): Promise<void> {
    let input: T | undefined = first;
    let value = firstValue;
    while (input) {
      try {
        const admitted = await admit(value, this.deps, brokerUserOf(input));
        input.admitted = admitted;
        this.release(input);
      } catch (err) {
        // A fault of the limiter or the hash: the input goes on unadmitted (a password is then
        // refused as wrong, nothing is limited), rather than being held or lost.
        this.logger.error(`could not admit a ${value.type}: ${err instanceof Error ? err.message : String(err)}`);
        this.release(input);
      }
      input = undefined;
      const behind = this.waiting.get(sender) ?? [];
      while (behind.length > 0 && input === undefined) {
        const next = behind.shift() as T;
        const nextValue = next.value;
        if (nextValue !== undefined && needsAdmission(nextValue, this.deps.rateLimits)) {
          input = next;
          value = nextValue;
        } else this.release(next);
      }
    }
    this.waiting.delete(sender);
  }
}

function decodeOf(input: Input): ChatSend | CommandRequest | undefined {
  const decoded = input.kind === 'chat' ? decodeChat(input.msg.content) : decodeCommand(input.msg.content);
  return decoded.ok ? decoded.value : undefined;
}

/** The broker user that published the input, verified by the broker (`user_id`), if any. */
function brokerUserOf(input: Input): string | undefined {
  const userId: unknown = input.msg.properties.userId;
  return typeof userId === 'string' && userId.length > 0 ? userId : undefined;
}

function senderOf(input: Input, value: ChatSend | CommandRequest): string {
  const userId = brokerUserOf(input);
  if (userId !== undefined) return `user:${userId}`;
  if ('token' in value) return `token:${value.token}`;
  return value.type === 'login' ? `client:${value.clientId}` : 'anonymous';
}
