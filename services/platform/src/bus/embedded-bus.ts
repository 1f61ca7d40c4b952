import type { EventType } from '@flywheel/contracts';
import { Registry } from 'prom-client';
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

/**
 * In-process event log for `npm start` on a bare machine (KAFKA_BROKERS unset). Same
 * observable semantics as the Kafka adapter inside one process: partitions by key with
 * Kafka's partitioner, per-partition order, consumer groups with committed offsets,
 * redelivery on handler failure, DLQ. Not durable: events live as long as the process.
 */
export class EmbeddedEventBus implements EventBus {
  readonly kind = 'embedded' as const;
  private readonly log = new Map<string, StoredMessage[][]>();
  private readonly waiters = new Set<() => void>();
  private readonly groups = new Map<string, Set<string>>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly offsets = new Map<string, number>();
  private readonly metrics: BusMetrics;
  private published = 0;

  constructor(
    private readonly source: string,
    registry: Registry = new Registry(),
  ) {
    this.metrics = registerBusMetrics(registry, () => this.stats());
  }

  async publish<T extends EventType>(event: OutgoingEvent<T>): Promise<PublishReceipt> {
    const enc = encodeEvent(event, this.source);
    this.append(enc.topic, enc.key, enc.headers, enc.value);
    this.published++;
    this.metrics.published.inc({ type: event.type });
    return { id: enc.headers.ce_id! };
  }

  /** Appends a message as-is, bypassing validation: for tests that need a poison message. */
  appendRaw(topic: string, key: string, headers: Record<string, string>, value: string | null): void {
    this.append(topic, key, headers, value);
  }

  /** Everything on the DLQ topic so far. */
  deadLetters(): StoredMessage[] {
    return this.partitions(DLQ_TOPIC).flat();
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
    };
  }

  async ping(): Promise<void> {}

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
    const messages = this.partitions(topic)[partition]!;
    let offset =
      options.fromBeginning === false && !this.offsets.has(offsetKey)
        ? messages.length
        : (this.offsets.get(offsetKey) ?? 0);
    while (!stopped()) {
      const stored = messages[offset];
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
      offset += 1;
      this.offsets.set(offsetKey, offset);
    }
  }

  private append(topic: string, key: string, headers: Record<string, string>, value: string | null): void {
    const partitions = this.partitions(topic);
    partitions[partitionFor(topic, key, partitions.length)]!.push({ key, headers, value });
    this.wake();
  }

  private partitions(topic: string): StoredMessage[][] {
    let p = this.log.get(topic);
    if (!p) {
      p = Array.from({ length: partitionCount(topic) }, () => []);
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
