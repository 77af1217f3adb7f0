import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Who may ask the authority: only the broker. Anyone else who reaches the port (a client
 * container on the compose network, say) could otherwise register ids by the thousand or probe
 * decisions. Entries: `loopback` (127.0.0.0/8 and ::1), IP addresses, or host names (the compose
 * service `rabbitmq`), resolved now and again every `refreshMs`, since a container's address can
 * change when it is re-created. A name that does not resolve allows nothing until it does.
 */
export class PeerAllowList {
  private readonly literal = new Set<string>();
  private readonly names: string[] = [];
  private readonly loopback: boolean;
  private resolved = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    entries: readonly string[],
    private readonly refreshMs = 30_000,
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    let loopback = false;
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      if (entry === 'loopback') loopback = true;
      else if (isIP(entry) !== 0) this.literal.add(normalise(entry));
      else this.names.push(entry);
    }
    this.loopback = loopback;
  }

  /** Resolves the names once, then keeps them fresh in the background. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.names.length > 0 && this.timer === undefined) {
      this.timer = setInterval(() => void this.refresh(), this.refreshMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  allows(address: string | undefined): boolean {
    if (address === undefined) return false;
    const peer = normalise(address);
    if (this.loopback && isLoopback(peer)) return true;
    return this.literal.has(peer) || this.resolved.has(peer);
  }

  private async refresh(): Promise<void> {
    const next = new Set<string>();
    for (const name of this.names) {
      try {
        for (const { address } of await lookup(name, { all: true })) next.add(normalise(address));
      } catch (err) {
        this.onError(`authority: cannot resolve ${name} (allowed to ask the authority): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.resolved = next;
  }
}

/** `::ffff:10.0.0.2` (an IPv4 peer on a dual-stack socket) is `10.0.0.2`. */
function normalise(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

function isLoopback(address: string): boolean {
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}
