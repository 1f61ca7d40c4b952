import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { getProcessLogger } from '../telemetry/logger';
import type { BusMetrics } from './bus-metrics';
import { deliver, deliverBatch, type RawMessage } from './delivery';
import type { SubscribeOptions, Subscription } from './event-bus';
import type { DeadLetters } from './kafka-dlq';

/**
 * The consuming half of the Kafka adapter: one kafkajs consumer per subscription, replaced
 * when kafkajs gives up on it; a batch loop that runs the handler with the bus's retry policy
 * (delivery.ts), sends what cannot be handled to the DLQ, commits after the handler, and
 * reports the lag behind the high watermark.
 */
export class KafkaConsumers {
  private readonly active = new Set<Subscription>();

  constructor(
    private readonly kafka: Kafka,
    private readonly metrics: BusMetrics,
    private readonly deadLetters: DeadLetters,
    private readonly ensureTopics: () => Promise<void>,
  ) {}

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    await this.ensureTopics();
    let stopped = false;
    // kafkajs does not restart a consumer after a non-retriable crash, e.g. "Failed to find
    // group coordinator" while a fresh broker still loads __consumer_offsets (tulios/kafkajs#1630):
    // replace it with a new consumer of the same group rather than consume nothing from then on.
    const replace = async (reason: string): Promise<void> => {
      log().warn({ group: options.group, reason }, 'event bus: consumer crashed; starting a new one');
      for (let attempt = 0; !stopped; attempt++) {
        await new Promise((r) => setTimeout(r, Math.min(5_000, 500 * 2 ** attempt)));
        if (stopped) return;
        try {
          const next = await this.start(options, () => stopped, onDead);
          if (stopped) return void (await next.disconnect());
          consumer = next;
          return;
        } catch (err) {
          log().warn({ group: options.group, err }, 'event bus: consumer not started again yet');
        }
      }
    };
    const onDead = (err: Error) => void (stopped || replace(err.message));
    let consumer = await this.start(options, () => stopped, onDead);
    const subscription: Subscription = {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await consumer.disconnect();
        this.active.delete(subscription);
      },
    };
    this.active.add(subscription);
    return subscription;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.active].map((s) => s.stop()));
  }

  /** A connected consumer of `options.group` running `options.handler`; `onDead` when kafkajs gives up on it. */
  private async start(
    options: SubscribeOptions,
    isStopped: () => boolean,
    onDead: (err: Error) => void,
  ): Promise<Consumer> {
    const consumer = this.kafka.consumer({
      groupId: options.group,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // Bounds both delivery latency when idle and how long stop() waits for a fetch in flight.
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) onDead(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently ?? 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        let done: string | null = null;
        let committed: string | null = null;
        let sinceCommit = 0;
        const commit = async () => {
          if (done === null || done === committed) return;
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(done) + 1n).toString() },
          ]);
          committed = done;
          sinceCommit = 0;
        };
        const deliveryOptions = {
          maxAttempts: options.maxAttempts ?? 5,
          retryBaseMs: options.retryBaseMs ?? 100,
          stopped: () => isStopped() || !isRunning(),
          beforeRetry: heartbeat,
          onRetry: () => this.metrics.retries.inc({ group: options.group }),
        };
        const batchHandler = options.batchHandler;
        const chunkSize = batchHandler ? Math.max(1, options.batchMaxEvents ?? 500) : 1;
        for (let from = 0; from < batch.messages.length; from += chunkSize) {
          if (isStopped() || !isRunning() || isStale()) break;
          const raws = batch.messages
            .slice(from, from + chunkSize)
            .map((message) => toRaw(batch.topic, batch.partition, message));
          const outcomes = batchHandler
            ? await deliverBatch(raws, options.handler, batchHandler, deliveryOptions)
            : [await deliver(raws[0]!, options.handler, deliveryOptions)];
          let stop = false;
          for (let i = 0; i < raws.length; i++) {
            const outcome = outcomes[i]!;
            if (outcome.kind === 'stopped') {
              stop = true;
              break;
            }
            const raw = raws[i]!;
            if (outcome.kind === 'dead')
              await this.deadLetters.fromConsumer(raw, options.group, outcome.reason);
            this.metrics.consumed.inc({
              group: options.group,
              topic: batch.topic,
              outcome: outcome.kind === 'dead' ? 'dlq' : 'handled',
            });
            resolveOffset(raw.offset);
            done = raw.offset;
            sinceCommit++;
          }
          if (stop) break;
          if (batchHandler || sinceCommit >= 200) await commit();
          await heartbeat();
        }
        await commit();
        if (done !== null) {
          const lag = BigInt(batch.highWatermark) - BigInt(done) - 1n;
          this.metrics.consumerLag.set(
            { group: options.group, topic: batch.topic, partition: String(batch.partition) },
            Number(lag > 0n ? lag : 0n),
          );
        }
      },
    });
    return consumer;
  }
}

function toRaw(topic: string, partition: number, message: KafkaMessage): RawMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? '',
    headers: headersToStrings(message.headers),
    value: message.value?.toString('utf8') ?? null,
  };
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    out[k] = first === undefined ? undefined : first.toString();
  }
  return out;
}

const log = () => getProcessLogger('flywheel');
