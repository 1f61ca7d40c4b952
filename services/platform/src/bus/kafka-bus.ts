import { join } from 'node:path';
// types only: kafkajs loads in `create`, so a process on the embedded bus never loads it
import type * as KafkaJs from 'kafkajs';
import type { Admin, Kafka, LogEntry } from 'kafkajs';
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
import { ProducerThread, type PlainClientConfig } from './kafka-producer-thread';
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

/** Where and how the bus's clients connect, as plain data (the producer worker gets it too). */
function clientConfig(options: KafkaBusOptions): PlainClientConfig {
  return {
    clientId: options.source,
    ...kafkaClientConnection({ ...options.security, brokers: parseBrokerList(options.brokers) }),
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
  };
}

/** The main thread's kafkajs client (admin, consumers): brokers, timeouts, logging. */
function createKafkaClient(kafkajs: typeof KafkaJs, options: KafkaBusOptions, logs: LogThrottle): Kafka {
  const { Kafka, logLevel } = kafkajs;
  return new Kafka({
    ...clientConfig(options),
    logLevel: logLevel.ERROR,
    logCreator:
      () =>
      ({ namespace, log: entry }: LogEntry) =>
        throttledLog(logs, namespace, entry.message),
  });
}

/** The bus's producers, in a worker thread (kafka-producer-thread.ts); the worker adds the key partitioner. */
function createProducerThread(options: KafkaBusOptions, logs: LogThrottle): ProducerThread {
  return new ProducerThread({
    client: clientConfig(options),
    producers: {
      relay: {
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      },
      dlq: { retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } },
    },
    onLog: (namespace, message) => throttledLog(logs, namespace, message),
    onExit: (reason) =>
      log().error(
        { reason },
        'event bus: the Kafka producer worker died; a new one starts with the next send, and the events it had not delivered are sent again from the spool',
      ),
  });
}

/**
 * Kafka adapter. publish() appends to the local spool and returns; the relay (kafka-relay.ts)
 * drains the spool to Kafka with an idempotent producer (acks=-1, one request in flight) and
 * acknowledges the spool only after Kafka has the batch, so nothing published is lost; at worst
 * a batch is sent twice (at-least-once). The producers run in a worker thread
 * (kafka-producer-thread.ts): kafkajs's encoding and network I/O stay off the thread that serves
 * requests; the relay's batching, acknowledgements and dead letters stay here, next to the spool,
 * as each costs little per batch. Admin calls and consumers: kafka-consumer.ts, on this thread.
 */

export class KafkaEventBus implements EventBus {
  readonly kind = 'kafka' as const;
  private topicsReady = false;
  private closing = false;

  private readonly kafka: Kafka;
  private readonly producers: ProducerThread;
  private readonly source: string;
  private readonly relay: KafkaRelay;
  private readonly consumers: KafkaConsumers;
  private readonly metrics: BusMetrics;

  private constructor(
    kafkajs: typeof KafkaJs,
    options: KafkaBusOptions,
    private readonly spool: Spool,
    private readonly clock: Clock,
  ) {
    this.source = options.source;
    const logs = new LogThrottle(clock);
    this.kafka = createKafkaClient(kafkajs, options, logs);
    this.producers = createProducerThread(options, logs);
    this.metrics = registerBusMetrics(options.registry ?? new Registry(), () => this.stats());
    const deadLetters = new DeadLetters(
      async () => this.producers.producer('dlq'),
      join(options.spoolDir, 'dead-letters.jsonl'),
      options.source,
      clock,
    );
    const transport: RelayTransport = {
      producer: async () => this.producers.producer('relay'),
      resetProducer: () => this.producers.reset('relay'),
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
    await this.producers.close();
  }

  /** Test hook: the producer worker, to kill it mid-stream (see ProducerThread.kill). */
  get producerThread(): ProducerThread {
    return this.producers;
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
function throttledLog(logs: LogThrottle, namespace: string, message: string): void {
  if (!logs.allow(`${namespace}:${message}`)) return;
  log().error({ namespace }, `kafkajs: ${message}`);
}
