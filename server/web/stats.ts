/**
 * The gateway's counters, kept plain so the metrics module (server/observability) can read them
 * into its registry: sessions open is a gauge, the rest only ever grow.
 */
export interface WebGatewayStats {
  readonly sessionsOpen: number;
  readonly framesIn: number;
  readonly framesOut: number;
  /** Frames refused: not JSON, unknown type, bad fields, too large, too fast. */
  readonly framesRefused: number;
  readonly loginsRefused: number;
  readonly resumes: number;
  readonly resumesRefused: number;
  /** Whether the gateway can reach the broker now (a TCP connection to AMQP_URL's host and port). */
  isReady(): Promise<boolean>;
}

export type WebCounter = 'framesIn' | 'framesOut' | 'framesRefused' | 'loginsRefused' | 'resumes' | 'resumesRefused';

export class WebCounters {
  readonly counts: Record<WebCounter, number> = { framesIn: 0, framesOut: 0, framesRefused: 0, loginsRefused: 0, resumes: 0, resumesRefused: 0 };

  add(counter: WebCounter, by = 1): void {
    this.counts[counter] += by;
  }
}
