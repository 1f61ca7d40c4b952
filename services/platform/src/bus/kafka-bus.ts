import { join } from 'node:path';
// types only: kafkajs loads in `create`, so a process on the embedded bus never loads it
import type * as KafkaJs from 'kafkajs';
import type { Admin, Kafka, LogEntry, Producer } from 'kafkajs';
import type { EventType } from '@flywheel/contracts';
import { Registry } from 'prom-client';
import { systemClock, type Clock } from '../clock';
import { getProcessLogger } from '../telemetry/logger';
import { registerBusMetrics, type BusMetrics } from './bus-metrics';
import { encodeEvent } from './cloud-event';
import { kafkaClientConnection, parseBrokerList, type KafkaConnection } from './kafka-connection';
import type {
  BusStats,
  EventBus,
  OutgoingEvent,
  PublishReceipt,
  SubscribeOptions,
  Subscription,
} from './event-bus';
import { KafkaConsumers } from './kafka-consumer';
import { DeadLetters } from './kafka-dlq';
import { KafkaRelay, type RelayOptions, type RelayTransport } from './kafka-relay';
import { LogThrottle } from './log-throttle';
import { loadKafkajs } from './load-kafkajs';
import { keyPartitioner } from './partitioner';
import { Spool } from './spool';
import { topicSpecs } from './topics';

export interface KafkaBusOptions extends RelayOptions {
  /** comma-separated host:port list (KAFKA_BROKERS) */
  brokers: string;
  /** TLS and SASL (KAFKA_SSL*, KAFKA_SASL_*); absent → plaintext */
  security?: Omit<KafkaConnection, 'brokers'>;
  /** CloudEvents `source` and Kafka client id, e.g. `flywheel-gateway` */
  source: string;
  /** directory of this process's durable spool (and its dead-letter file, `dead-letters.jsonl`) */
  spoolDir: string;
  spoolMaxBytes?: number;
  /** bytes of undelivered events the spool keeps in memory; the rest is read back from disk (default 16 MiB) */
  spoolMemoryBytes?: number;
  /** the spool's group-commit window (default 0; see SpoolOptions.commitDelayMs) */
  spoolCommitDelayMs?: number;
  registry?: Registry;
  clock?: Clock;
}

/** The kafkajs client of one bus: brokers, timeouts, logging (one place, so connection settings live here). */
function createKafkaClient(kafkajs: typeof KafkaJs, options: KafkaBusOptions, logs: LogThrottle): Kafka {
  const { Kafka, logLevel } = kafkajs;
  return new Kafka({
    clientId: options.source,
    ...kafkaClientConnection({ ...options.security, brokers: parseBrokerList(options.brokers) }),
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: logLevel.ERROR,
    logCreator: () => throttledLog(logs),
  });
}

/**
 * Kafka adapter. publish() appends to the local spool and returns; the relay (kafka-relay.ts)
 * drains the spool to Kafka with an idempotent producer (acks=-1, one request in flight) and
 * acknowledges the spool only after Kafka has the batch, so nothing published is lost; at worst
 * a batch is sent twice (at-least-once). Consumers: kafka-consumer.ts.
 */

export class KafkaEventBus implements EventBus {
  readonly kind = 'kafka' as const;
  private producer: Producer | null = null;
  private dlqProducer: Producer | null = null;
  private topicsReady = false;
  private closing = false;

  private readonly kafka: Kafka;
  private readonly source: string;
  private readonly relay: KafkaRelay;
  private readonly consumers: KafkaConsumers;
  private readonly metrics: BusMetrics;

  private constructor(
    private readonly kafkajs: typeof KafkaJs,
    options: KafkaBusOptions,
    private readonly spool: Spool,
    private readonly clock: Clock,
  ) {
    this.source = options.source;
    this.kafka = createKafkaClient(kafkajs, options, new LogThrottle(clock));
    this.metrics = registerBusMetrics(options.registry ?? new Registry(), () => this.stats());
    const deadLetters = new DeadLetters(
      () => this.getDlqProducer(),
      join(options.spoolDir, 'dead-letters.jsonl'),
      options.source,
      clock,
    );
    const transport: RelayTransport = {
      producer: () => this.getProducer(),
      resetProducer: () => this.resetProducer(),
      ensureTopics: () => this.ensureTopics(),
      withAdmin: (fn) => this.withAdmin(fn),
    };
    this.relay = new KafkaRelay(spool, transport, deadLetters, this.metrics.deadLettered, clock, options);
    this.consumers = new KafkaConsumers(this.kafka, this.metrics, deadLetters, () => this.ensureTopics());
  }

  static async create(options: KafkaBusOptions): Promise<KafkaEventBus> {
    const clock = options.clock ?? systemClock;
    const kafkajs = await loadKafkajs();
    const spool = await Spool.open({
      dir: options.spoolDir,
      maxBytes: options.spoolMaxBytes,
      memoryBytes: options.spoolMemoryBytes,
      commitDelayMs: options.spoolCommitDelayMs,
      clock,
    });
    const bus = new KafkaEventBus(kafkajs, options, spool, clock);
    bus.relay.start();
    return bus;
  }

  async publish<T extends EventType>(event: OutgoingEvent<T>): Promise<PublishReceipt> {
    if (this.closing) throw new Error('event bus is closing');
    const enc = encodeEvent(event, this.source);
    await this.spool.append(enc);
    this.metrics.published.at(event.type).inc();
    return { id: enc.headers.ce_id! };
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.consumers.subscribe(options);
  }

  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    while (this.spool.depth > 0) {
      if (this.clock.now() > deadline) {
        const last = this.relay.lastRelayError;
        throw new Error(
          `event spool not drained after ${timeoutMs} ms (${this.spool.depth} events pending${last ? `; last Kafka error: ${last}` : ''})`,
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
      relayed: this.relay.relayedTotal,
      deadLettered: this.relay.deadLetteredTotal,
      dropped: 0,
    };
  }

  /** Fails when the relay is stuck (events waiting longer than `stuckAfterMs`) or the broker is unreachable. */
  async ping(): Promise<void> {
    const stuck = this.relay.stuck();
    if (stuck) throw new Error(stuck);
    await this.withAdmin((admin) => admin.describeCluster());
  }

  async close(drainMs = 5_000): Promise<void> {
    await this.consumers.stopAll();
    await this.flush(drainMs).catch((err: Error) =>
      log().warn({ err }, 'event bus: not all events reached Kafka; kept in the spool for the next start'),
    );
    this.closing = true;
    await this.relay.stop();
    await this.spool.close();
    await Promise.all(
      [this.producer?.disconnect(), this.dlqProducer?.disconnect()].map((p) => p?.catch(() => undefined)),
    );
  }

  private async getProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: keyPartitioner(this.kafkajs.Partitioners.DefaultPartitioner),
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }

  private async resetProducer(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    await p?.disconnect().catch(() => undefined);
  }

  private async getDlqProducer(): Promise<Producer> {
    if (!this.dlqProducer) {
      const producer = this.kafka.producer({
        createPartitioner: keyPartitioner(this.kafkajs.Partitioners.DefaultPartitioner),
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      await producer.connect();
      this.dlqProducer = producer;
    }
    return this.dlqProducer;
  }

  private async withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      return await fn(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Creates the topics of infra/kafka/topics.json that are missing (idempotent). */
  private async ensureTopics(): Promise<void> {
    if (this.topicsReady) return;
    await this.withAdmin(ensureTopics);
    this.topicsReady = true;
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

const log = () => getProcessLogger('flywheel');

/** kafkajs logs every failed connection attempt; print each distinct message once a minute. */
function throttledLog(logs: LogThrottle) {
  return ({ namespace, log: entry }: LogEntry) => {
    if (!logs.allow(`${namespace}:${entry.message}`)) return;
    log().error({ namespace }, `kafkajs: ${entry.message}`);
  };
}
