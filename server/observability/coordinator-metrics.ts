import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Seconds. From a few ms on one machine to a broker far away or a backlog. */
export const END_TO_END_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds. One group commit: handling a batch and its SQLite transaction. */
export const STORE_COMMIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
export const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** What the gauges read when someone scrapes (never per message). */
export interface CoordinatorGaugeSources {
  sessionsOnline(): number;
  rooms(): number;
  /** Messages waiting, by queue label (`chat`, `commands`, `dead-letter`); cached by the source. */
  queueDepths(): Promise<ReadonlyMap<string, number>>;
  /** Input queues held here that deliver nothing now (sweeps/input-liveness.ts). */
  inputQueuesStalled(): number;
}

/** Label of an input that could not be decoded (its type is unknown or absent). */
export const UNDECODED_KIND = 'undecoded';

/**
 * The coordinator's figures (docs: README "Watching it run"). The hooks on the input path
 * (`handled`, `committed`, `finished`, `deadLettered`) only add to numbers kept here; the
 * labelled counters are filled from them when someone scrapes, so a message costs a map lookup and
 * an addition, plus one histogram observation for its latency. Every label comes from a closed
 * table: message types of the protocol's schemas, error codes of shared/errors.ts, queue roles.
 */
export class CoordinatorMetrics {
  private readonly accepted = new Map<string, number>();
  /** kind → code → count. */
  private readonly refused = new Map<string, Map<string, number>>();
  private readonly deadLetters = new Map<string, number>();
  private reconnects = 0;
  private sources: CoordinatorGaugeSources | undefined;
  private readonly endToEnd: Histogram;
  private readonly storeCommit: Histogram;
  private readonly batchSize: Histogram;

  constructor(registry: Registry) {
    // The collect functions run with the metric as `this`; they read the totals through these.
    const { accepted, refused, deadLetters } = this;
    const reconnects = (): number => this.reconnects;
    const sources = (): CoordinatorGaugeSources | undefined => this.sources;
    new Counter({
      name: 'warren_messages_accepted_total',
      help: 'Inputs the coordinator accepted, by kind (message type: chat, login, join_room, ...)',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [kind, count] of accepted) this.inc({ kind }, count);
      },
    });
    new Counter({
      name: 'warren_messages_refused_total',
      help: `Inputs the coordinator refused, by kind (message type, or ${UNDECODED_KIND}) and error code`,
      labelNames: ['kind', 'code'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [kind, byCode] of refused) for (const [code, count] of byCode) this.inc({ kind, code }, count);
      },
    });
    new Counter({
      name: 'warren_dead_letters_total',
      help: 'Inputs copied to the dead-letter queue by the coordinator (confirmed), by error code',
      labelNames: ['code'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [code, count] of deadLetters) this.inc({ code }, count);
      },
    });
    new Counter({
      name: 'warren_broker_reconnects_total',
      help: 'Times the broker connection came back after it was lost',
      registers: [registry],
      collect() {
        this.reset();
        if (reconnects() > 0) this.inc(reconnects());
      },
    });
    this.endToEnd = new Histogram({
      name: 'warren_end_to_end_latency_seconds',
      help: "From the client's clientTs to the broker's confirms of everything the input caused (the ack follows); inputs without clientTs are not counted",
      buckets: END_TO_END_BUCKETS,
      registers: [registry],
    });
    this.storeCommit = new Histogram({
      name: 'warren_store_commit_seconds',
      help: 'One group commit: handling a batch of inputs in one SQLite transaction, commit included',
      buckets: STORE_COMMIT_BUCKETS,
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'warren_store_commit_batch_size',
      help: 'Inputs in one group commit',
      buckets: BATCH_SIZE_BUCKETS,
      registers: [registry],
    });
    // A number read from the coordinator when someone scrapes.
    const readGauge = (name: string, help: string, read: (from: CoordinatorGaugeSources) => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const from = sources();
          if (from) this.set(read(from));
        },
      });
    };
    readGauge('warren_sessions_online', 'Sessions logged in now', (from) => from.sessionsOnline());
    readGauge('warren_rooms', 'Rooms that exist (#general included)', (from) => from.rooms());
    readGauge(
      'warren_input_queues_stalled',
      'Input queues this coordinator holds whose liveness probe has not come back: no session is timed out while above 0',
      (from) => from.inputQueuesStalled(),
    );
    new Gauge({
      name: 'warren_queue_messages',
      help: 'Messages waiting in the input queues and the dead-letter queue (asked of the broker at most every few seconds)',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        const from = sources();
        if (!from) return;
        const depths = await from.queueDepths();
        this.reset();
        for (const [queue, count] of depths) this.set({ queue }, count);
      },
    });
  }

  /** The coordinator tells where the gauges read from (once, when it is built). */
  attach(sources: CoordinatorGaugeSources): void {
    this.sources = sources;
  }

  // ---- the hot path: a handful of calls per input or per batch

  /** An input was decided: accepted, or refused with `refusedCode`. */
  handled(kind: string | undefined, refusedCode: string | undefined): void {
    const label = kind ?? UNDECODED_KIND;
    if (refusedCode === undefined) {
      this.accepted.set(label, (this.accepted.get(label) ?? 0) + 1);
      return;
    }
    let byCode = this.refused.get(label);
    if (!byCode) {
      byCode = new Map();
      this.refused.set(label, byCode);
    }
    byCode.set(refusedCode, (byCode.get(refusedCode) ?? 0) + 1);
  }

  /** A group commit of `size` inputs took `seconds`. */
  committed(seconds: number, size: number): void {
    this.storeCommit.observe(seconds);
    this.batchSize.observe(size);
  }

  /** Everything an input caused is confirmed by the broker; `clientTs` is its ISO timestamp, if it had one. */
  finished(clientTs: string | undefined, nowMs = Date.now()): void {
    if (clientTs === undefined) return;
    const seconds = (nowMs - Date.parse(clientTs)) / 1000;
    // A client clock ahead of ours gives a negative figure: it says nothing about latency.
    if (seconds >= 0) this.endToEnd.observe(seconds);
  }

  /** A dead-letter copy was confirmed. */
  deadLettered(code: string): void {
    this.deadLetters.set(code, (this.deadLetters.get(code) ?? 0) + 1);
  }

  /** The broker connection came back after a loss. */
  reconnected(): void {
    this.reconnects += 1;
  }
}
