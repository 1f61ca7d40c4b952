import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type IHeaders,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import type { EventType } from '@flywheel/contracts';
import { Registry } from 'prom-client';
import { systemClock, type Clock } from '../clock';
import { getProcessLogger } from '../telemetry/logger';
import { registerBusMetrics, type BusMetrics } from './bus-metrics';
import { encodeEvent } from './cloud-event';
import { deliver, dlqHeaders, type RawMessage } from './delivery';
import { kafkaClientConnection, parseBrokerList, type KafkaConnection } from './kafka-connection';
import type {
  BusStats,
  EventBus,
  OutgoingEvent,
  PublishReceipt,
  SubscribeOptions,
  Subscription,
} from './event-bus';
import { Spool } from './spool';
import { DLQ_TOPIC, topicSpecs } from './topics';

export interface KafkaBusOptions {
  /** comma-separated host:port list (KAFKA_BROKERS) */
  brokers: string;
  /** TLS and SASL (KAFKA_SSL*, KAFKA_SASL_*); absent → plaintext */
  security?: Omit<KafkaConnection, 'brokers'>;
  /** CloudEvents `source` and Kafka client id, e.g. `flywheel-gateway` */
  source: string;
  /** directory of this process's durable spool */
  spoolDir: string;
  spoolMaxBytes?: number;
  /** the spool's group-commit window (default 0; see SpoolOptions.commitDelayMs) */
  spoolCommitDelayMs?: number;
  /** relay micro-batching: send once this many events are pending… (default 500) */
  batchMaxEvents?: number;
  /** …or once the oldest pending event has waited this long (default 5 ms) */
  lingerMs?: number;
  registry?: Registry;
  clock?: Clock;
}

/**
 * Kafka adapter. publish() appends to the local spool and returns; a relay drains the spool
 * to Kafka with an idempotent producer (acks=-1, one request in flight) and acknowledges the
 * spool only after Kafka has the batch. If Kafka is down the relay backs off and retries, so
 * nothing published is lost; at worst a batch is sent twice (at-least-once).
 */
export class KafkaEventBus implements EventBus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private dlqProducer: Producer | null = null;
  private topicsReady = false;
  private relayRunning: Promise<void> | null = null;
  private closing = false;
  private relayWake: (() => void) | null = null;
  private relayedTotal = 0;
  private lastRelayError: string | null = null;
  private readonly consumers = new Set<{ stop(): Promise<void> }>();
  private readonly metrics: BusMetrics;
  private readonly clock: Clock;

  private constructor(
    private readonly options: KafkaBusOptions,
    private readonly spool: Spool,
  ) {
    this.clock = options.clock ?? systemClock;
    this.kafka = new Kafka({
      clientId: options.source,
      ...kafkaClientConnection({ ...options.security, brokers: parseBrokerList(options.brokers) }),
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
      logLevel: logLevel.ERROR,
      logCreator: quietLogCreator,
    });
    this.metrics = registerBusMetrics(options.registry ?? new Registry(), () => this.stats());
  }

  static async create(options: KafkaBusOptions): Promise<KafkaEventBus> {
    const spool = await Spool.open({
      dir: options.spoolDir,
      maxBytes: options.spoolMaxBytes,
      commitDelayMs: options.spoolCommitDelayMs,
      clock: options.clock,
    });
    const bus = new KafkaEventBus(options, spool);
    spool.onAppend(() => bus.relayWake?.());
    bus.relayRunning = bus.relay();
    return bus;
  }

  async publish<T extends EventType>(event: OutgoingEvent<T>): Promise<PublishReceipt> {
    if (this.closing) throw new Error('event bus is closing');
    const enc = encodeEvent(event, this.options.source);
    await this.spool.append(enc);
    this.metrics.published.inc({ type: event.type });
    return { id: enc.headers.ce_id! };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    await this.ensureTopics();
    let stopped = false;
    // kafkajs does not restart a consumer after a non-retriable crash, e.g. "Failed to find
    // group coordinator" while a fresh broker still loads __consumer_offsets (tulios/kafkajs#1630):
    // replace it with a new consumer of the same group rather than consume nothing from then on.
    const replace = async (reason: string): Promise<void> => {
      log().warn({ group: options.group, reason }, 'event bus: consumer crashed; starting a new one');
      for (let attempt = 0; !stopped; attempt++) {
        await sleep(Math.min(5_000, 500 * 2 ** attempt));
        if (stopped) return;
        try {
          const next = await this.startConsumer(options, () => stopped, onDead);
          if (stopped) return void (await next.disconnect());
          consumer = next;
          return;
        } catch (err) {
          log().warn({ group: options.group, err }, 'event bus: consumer not started again yet');
        }
      }
    };
    const onDead = (err: Error) => void (stopped || replace(err.message));
    let consumer = await this.startConsumer(options, () => stopped, onDead);
    const entry = {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await consumer.disconnect();
        this.consumers.delete(entry);
      },
    };
    this.consumers.add(entry);
    return { stop: entry.stop };
  }

  /** A connected consumer of `options.group` running `options.handler`; `onDead` when kafkajs gives up on it. */
  private async startConsumer(
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
        let sinceCommit = 0;
        const commit = async () => {
          if (done === null) return;
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(done) + 1n).toString() },
          ]);
          sinceCommit = 0;
        };
        for (const message of batch.messages) {
          if (isStopped() || !isRunning() || isStale()) break;
          const raw: RawMessage = {
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key?.toString('utf8') ?? '',
            headers: headersToStrings(message.headers),
            value: message.value?.toString('utf8') ?? null,
          };
          const outcome = await deliver(raw, options.handler, {
            maxAttempts: options.maxAttempts ?? 5,
            retryBaseMs: options.retryBaseMs ?? 100,
            stopped: () => isStopped() || !isRunning(),
            beforeRetry: heartbeat,
            onRetry: () => this.metrics.retries.inc({ group: options.group }),
          });
          if (outcome.kind === 'stopped') break;
          if (outcome.kind === 'dead') await this.sendToDlq(raw, options.group, outcome.reason);
          this.metrics.consumed.inc({
            group: options.group,
            topic: batch.topic,
            outcome: outcome.kind === 'dead' ? 'dlq' : 'handled',
          });
          resolveOffset(message.offset);
          done = message.offset;
          if (++sinceCommit >= 200) await commit();
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

  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    while (this.spool.depth > 0) {
      if (this.clock.now() > deadline) {
        throw new Error(
          `event spool not drained after ${timeoutMs} ms (${this.spool.depth} events pending${this.lastRelayError ? `; last Kafka error: ${this.lastRelayError}` : ''})`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  stats(): BusStats {
    const oldest = this.spool.oldestTs;
    return {
      spoolDepth: this.spool.depth,
      spoolBytes: this.spool.bytes,
      relayLagMs: oldest === null ? 0 : Math.max(0, this.clock.now() - oldest),
      published: this.spool.appended,
      relayed: this.relayedTotal,
    };
  }

  async ping(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(drainMs = 5_000): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    await this.flush(drainMs).catch((err: Error) =>
      log().warn({ err }, 'event bus: not all events reached Kafka; kept in the spool for the next start'),
    );
    this.closing = true;
    this.relayWake?.();
    await this.relayRunning;
    await this.spool.close();
    await Promise.all(
      [this.producer?.disconnect(), this.dlqProducer?.disconnect()].map((p) => p?.catch(() => undefined)),
    );
  }

  /** Drains the spool to Kafka until close(); backs off while Kafka is unreachable. */
  private async relay(): Promise<void> {
    const batchMax = this.options.batchMaxEvents ?? 500;
    const lingerMs = this.options.lingerMs ?? 5;
    let failures = 0;
    while (!this.closing) {
      if (this.spool.peek(1).length === 0) {
        await new Promise<void>((resolve) => (this.relayWake = resolve));
        this.relayWake = null;
        continue;
      }
      const oldest = this.spool.oldestTs ?? this.clock.now();
      const wait = oldest + lingerMs - this.clock.now();
      if (this.spool.peek(batchMax).length < batchMax && wait > 0) await sleep(wait);
      const batch = this.spool.peek(batchMax);
      if (batch.length === 0) continue;
      try {
        await this.ensureTopics();
        const producer = await this.getProducer();
        const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
        for (const r of batch) {
          const list = byTopic.get(r.event.topic) ?? [];
          list.push({ key: r.event.key, value: r.event.value, headers: r.event.headers });
          byTopic.set(r.event.topic, list);
        }
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        await this.spool.ack(batch.length);
        this.relayedTotal += batch.length;
        if (failures > 0) {
          log().warn({ spool_depth: this.spool.depth }, 'event bus: Kafka reachable again');
        }
        failures = 0;
        this.lastRelayError = null;
      } catch (err) {
        failures++;
        this.lastRelayError = err instanceof Error ? err.message : String(err);
        if (failures === 1) {
          log().warn(
            { error: this.lastRelayError },
            'event bus: Kafka unreachable; events stay in the spool and are retried',
          );
        }
        // A producer that failed may hold a stale idempotence epoch or dead connections.
        const p = this.producer;
        this.producer = null;
        await p?.disconnect().catch(() => undefined);
        if (!this.closing)
          await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures - 1, 6)) * (0.5 + Math.random() / 2));
      }
    }
  }

  private async getProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  private async sendToDlq(msg: RawMessage, group: string, reason: string): Promise<void> {
    if (!this.dlqProducer) {
      const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      this.dlqProducer = producer;
    }
    await this.dlqProducer.send({
      topic: DLQ_TOPIC,
      acks: -1,
      messages: [{ key: msg.key, value: msg.value, headers: dlqHeaders(msg, group, reason) }],
    });
  }

  /** Creates the topics of infra/kafka/topics.json that are missing (idempotent). */
  private async ensureTopics(): Promise<void> {
    if (this.topicsReady) return;
    const admin: Admin = this.kafka.admin();
    try {
      await admin.connect();
      await ensureTopics(admin);
      this.topicsReady = true;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

export async function ensureTopics(admin: Admin): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topicSpecs().filter((t) => !existing.has(t.name));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
      })),
    });
  } catch (err) {
    // Another process may have created them between listTopics and createTopics.
    const again = new Set(await admin.listTopics());
    if (missing.some((t) => !again.has(t.name))) throw err;
  }
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    out[k] = first === undefined ? undefined : first.toString();
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const log = () => getProcessLogger('flywheel');

/** kafkajs logs every failed connection attempt; print each distinct message once a minute. */
const lastLogged = new Map<string, number>();
function quietLogCreator() {
  return ({ namespace, log }: LogEntry) => {
    const key = `${namespace}:${log.message}`;
    const now = Date.now();
    if ((lastLogged.get(key) ?? 0) > now - 60_000) return;
    lastLogged.set(key, now);
    getProcessLogger('flywheel').error({ namespace }, `kafkajs: ${log.message}`);
  };
}
