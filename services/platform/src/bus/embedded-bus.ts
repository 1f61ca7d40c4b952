import type { EventType } from '@flywheel/contracts';
import { Counter, Registry } from 'prom-client';
import { flatString } from '../flat-string';
import { getProcessLogger } from '../telemetry/logger';
import { encodeEvent } from './cloud-event';
import { deliver, dlqHeaders, type RawMessage } from './delivery';
import type {
  BusStats,
  EventBus,
  OutgoingEvent,
  PublishReceipt,
  SubscribeOptions,
  Subscription,
} from './event-bus';
import { registerBusMetrics, type BusMetrics } from './bus-metrics';
import { partitionFor } from './partitioner';
import { DLQ_TOPIC, partitionCount } from './topics';

interface StoredMessage {
  key: string;
  headers: Record<string, string>;
  value: string | null;
}

export interface EmbeddedBusOptions {
  /**
   * Events kept per topic that no subscription of this process consumes (spread over its
   * partitions; default 10,000). Older ones are dropped, counted in
   * `flywheel_bus_embedded_dropped_total` and logged once per topic.
   */
  unconsumedWindow?: number;
}

/**
 * One partition's log: absolute offsets, but only the messages some active consumer has still
 * to read are kept (`base` is the offset of `messages[start]`).
 */
class PartitionLog {
  /** slots before `start` are dropped: emptied at once, so their events die young (see dropBefore) */
  private messages: (StoredMessage | undefined)[] = [];
  private start = 0;
  /** offset of messages[start] */
  base = 0;
  /** positions (next offset to read) of the active consumers of this partition */
  readonly cursors = new Set<{ offset: number }>();

  get end(): number {
    return this.base + this.messages.length - this.start;
  }

  get retained(): number {
    return this.messages.length - this.start;
  }

  at(offset: number): StoredMessage | undefined {
    return offset < this.base ? undefined : this.messages[this.start + offset - this.base];
  }

  push(m: StoredMessage): void {
    this.messages.push(m);
  }

  all(): StoredMessage[] {
    return this.messages.slice(this.start) as StoredMessage[];
  }

  /** Drops everything before `offset`; returns how many were dropped. */
  dropBefore(offset: number): number {
    const n = Math.min(offset, this.end) - this.base;
    if (n <= 0) return 0;
    // Empty the dropped slots now rather than at the next compaction: a kept reference would hold
    // up to ~1,000 events per partition for seconds (a gateway's ~2 KB interaction events, ~11 MB
    // at 1,000 req/s), long enough for V8 to promote them to the old generation, whose
    // mark-compacts then ran every ~1.5 s (bench:gateway). Emptied, they die in the young one.
    this.messages.fill(undefined, this.start, this.start + n);
    this.start += n;
    this.base += n;
    // compact once the dead prefix is the larger part, so trimming stays O(1) amortised
    if (this.start > 1024 && this.start * 2 > this.messages.length) {
      this.messages = this.messages.slice(this.start);
      this.start = 0;
    }
    return n;
  }
}

/**
 * In-process event log for `npm start` on a bare machine (KAFKA_BROKERS unset). Same
 * observable semantics as the Kafka adapter inside one process: partitions by key with
 * Kafka's partitioner, per-partition order, consumer groups with committed offsets,
 * redelivery on handler failure, DLQ. Not durable: events live as long as the process.
 *
 * Memory is bounded: a partition keeps only what its active subscriptions have still to
 * read; a topic nobody in this process consumes (e.g. interactions under `--only gateway`)
 * keeps the last `unconsumedWindow` events, the older ones dropped and counted. A group
 * subscribing again resumes at its committed offset or at the oldest event still kept.
 */
export class EmbeddedEventBus implements EventBus {
  readonly kind = 'embedded' as const;
  private readonly log = new Map<string, PartitionLog[]>();
  private readonly waiters = new Set<() => void>();
  private readonly groups = new Map<string, Set<string>>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly offsets = new Map<string, number>();
  private readonly metrics: BusMetrics;
  private readonly dropped: Counter<'topic'>;
  private readonly droppedLogged = new Set<string>();
  private readonly unconsumedWindow: number;
  private published = 0;
  private droppedTotal = 0;

  constructor(
    private readonly source: string,
    registry: Registry = new Registry(),
    options: EmbeddedBusOptions = {},
  ) {
    this.unconsumedWindow = options.unconsumedWindow ?? 10_000;
    this.metrics = registerBusMetrics(registry, () => this.stats());
    this.dropped = new Counter({
      name: 'flywheel_bus_embedded_dropped_total',
      help: 'Events the embedded bus dropped unread because no subscription in this process consumes their topic',
      labelNames: ['topic'],
      registers: [registry],
    });
  }

  async publish<T extends EventType>(event: OutgoingEvent<T>): Promise<PublishReceipt> {
    const enc = encodeEvent(event, this.source);
    this.append(enc.topic, enc.key, enc.headers, enc.value);
    this.published++;
    this.metrics.published.at(event.type).inc();
    return { id: enc.headers.ce_id! };
  }

  /** Appends a message as-is, bypassing validation: for tests that need a poison message. */
  appendRaw(topic: string, key: string, headers: Record<string, string>, value: string | null): void {
    this.append(topic, key, headers, value);
  }

  /** Everything on the DLQ topic so far. */
  deadLetters(): StoredMessage[] {
    return this.partitions(DLQ_TOPIC).flatMap((p) => p.all());
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const taken = this.groups.get(options.group) ?? new Set<string>();
    for (const topic of options.topics) {
      if (taken.has(topic))
        throw new Error(`group ${options.group} already consumes ${topic} in this process`);
    }
    options.topics.forEach((t) => taken.add(t));
    this.groups.set(options.group, taken);

    let stopped = false;
    const workers: Promise<void>[] = [];
    for (const topic of options.topics) {
      this.partitions(topic).forEach((_, partition) =>
        workers.push(this.consume(topic, partition, options, () => stopped)),
      );
    }
    const subscription: Subscription = {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        this.wake();
        await Promise.all(workers);
        options.topics.forEach((t) => taken.delete(t));
        this.subscriptions.delete(subscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async flush(): Promise<void> {
    // publish() hands events straight to the in-process log: nothing is ever in flight.
  }

  stats(): BusStats {
    return {
      spoolDepth: 0,
      spoolBytes: 0,
      relayLagMs: 0,
      published: this.published,
      relayed: this.published,
      deadLettered: 0,
      dropped: this.droppedTotal,
    };
  }

  async ping(): Promise<void> {}

  /** Events of `topic` held in memory (tests of the memory bound). */
  retained(topic: string): number {
    return this.partitions(topic).reduce((n, p) => n + p.retained, 0);
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
  }

  private async consume(
    topic: string,
    partition: number,
    options: SubscribeOptions,
    stopped: () => boolean,
  ): Promise<void> {
    // Committed offsets live with the group, so a new subscription of the same group resumes.
    const offsetKey = `${options.group}\u0000${topic}\u0000${partition}`;
    const log = this.partitions(topic)[partition]!;
    const cursor = {
      offset: Math.max(
        log.base,
        options.fromBeginning === false && !this.offsets.has(offsetKey)
          ? log.end
          : (this.offsets.get(offsetKey) ?? 0),
      ),
    };
    log.cursors.add(cursor);
    try {
      await this.consumeFrom(log, cursor, topic, partition, offsetKey, options, stopped);
    } finally {
      log.cursors.delete(cursor);
    }
  }

  private async consumeFrom(
    log: PartitionLog,
    cursor: { offset: number },
    topic: string,
    partition: number,
    offsetKey: string,
    options: SubscribeOptions,
    stopped: () => boolean,
  ): Promise<void> {
    while (!stopped()) {
      const offset = cursor.offset;
      const stored = log.at(offset);
      if (!stored) {
        await new Promise<void>((resolve) => this.waiters.add(resolve));
        continue;
      }
      const raw: RawMessage = { topic, partition, offset: String(offset), ...stored };
      const outcome = await deliver(raw, options.handler, {
        maxAttempts: options.maxAttempts ?? 5,
        retryBaseMs: options.retryBaseMs ?? 100,
        stopped,
        onRetry: () => this.metrics.retries.inc({ group: options.group }),
      });
      if (outcome.kind === 'stopped') return;
      if (outcome.kind === 'dead') {
        this.append(DLQ_TOPIC, stored.key, dlqHeaders(raw, options.group, outcome.reason), stored.value);
      }
      this.metrics.consumed.inc({
        group: options.group,
        topic,
        outcome: outcome.kind === 'dead' ? 'dlq' : 'handled',
      });
      cursor.offset = offset + 1;
      this.offsets.set(offsetKey, cursor.offset);
      this.trim(topic, log);
    }
  }

  /** Drops what every active consumer of `log` has read, or, with none, what is past the window. */
  private trim(topic: string, log: PartitionLog): void {
    if (log.cursors.size > 0) {
      let floor = Infinity;
      for (const c of log.cursors) floor = Math.min(floor, c.offset);
      log.dropBefore(floor);
      return;
    }
    const window = Math.max(1, Math.ceil(this.unconsumedWindow / this.partitions(topic).length));
    const n = log.dropBefore(log.end - window);
    if (n === 0) return;
    this.droppedTotal += n;
    this.dropped.inc({ topic }, n);
    if (!this.droppedLogged.has(topic)) {
      this.droppedLogged.add(topic);
      getProcessLogger('flywheel').warn(
        { topic, window: this.unconsumedWindow },
        'embedded event bus: nothing in this process consumes this topic; keeping only its most recent events (older ones are dropped and counted in flywheel_bus_embedded_dropped_total)',
      );
    }
  }

  private append(topic: string, key: string, headers: Record<string, string>, value: string | null): void {
    const partitions = this.partitions(topic);
    const log = partitions[partitionFor(topic, key, partitions.length)]!;
    // headers are template-built (ce_id, ce_time): flat, an event in the window is ~4× smaller
    const flatHeaders: Record<string, string> = {};
    for (const [name, v] of Object.entries(headers)) flatHeaders[name] = flatString(v);
    log.push({
      key: flatString(key),
      headers: flatHeaders,
      value: value === null ? null : flatString(value),
    });
    if (log.cursors.size === 0) this.trim(topic, log);
    this.wake();
  }

  private partitions(topic: string): PartitionLog[] {
    let p = this.log.get(topic);
    if (!p) {
      p = Array.from({ length: partitionCount(topic) }, () => new PartitionLog());
      this.log.set(topic, p);
    }
    return p;
  }

  private wake(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    waiting.forEach((w) => w());
  }
}
