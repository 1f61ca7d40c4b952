import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Clock } from '../clock';
import { EmbeddedEventBus, type EmbeddedBusOptions } from './embedded-bus';
import type { EventBus } from './event-bus';
import { KafkaEventBus, type KafkaBusOptions } from './kafka-bus';
import type { KafkaConnection } from './kafka-connection';

export interface EventBusOptions {
  /** CloudEvents `source` and Kafka client id, e.g. `flywheel-gateway` */
  source: string;
  registry?: Registry;
  clock?: Clock;
  /** Kafka bootstrap brokers, `host:port` comma-separated (KAFKA_BROKERS); absent or empty: the embedded bus */
  brokers?: string;
  /** TLS and SASL to the brokers (KAFKA_SSL*, KAFKA_SASL_*); absent: plaintext */
  security?: Omit<KafkaConnection, 'brokers'>;
  /** the Kafka spool's directory (default `<dataDir>/spool/<source>`) */
  spoolDir?: string;
  /** FLYWHEEL_DATA_DIR (default `.flywheel`) */
  dataDir?: string;
  /** relay batching, spool and size limits of the Kafka adapter (see KafkaBusOptions) */
  kafka?: Omit<KafkaBusOptions, 'brokers' | 'source' | 'spoolDir' | 'registry' | 'clock'>;
  /** the embedded bus's memory bound (see EmbeddedBusOptions) */
  embedded?: EmbeddedBusOptions;
}

/**
 * Where a service's bus lives and how to reach it, from its parsed env (KAFKA_BROKERS, KAFKA_SSL*,
 * KAFKA_SASL_*, FLYWHEEL_DATA_DIR, <SERVICE>_SPOOL_DIR).
 */
export function busLocation(env: {
  kafka?: KafkaConnection | null;
  dataDir?: string;
  spoolDir?: string;
}): Pick<EventBusOptions, 'brokers' | 'security' | 'dataDir' | 'spoolDir'> {
  const where = { dataDir: env.dataDir, spoolDir: env.spoolDir };
  if (!env.kafka) return where;
  const { brokers, ...security } = env.kafka;
  return { ...where, brokers: brokers.join(','), security };
}

/** Brokers given → Kafka through a durable spool; none → the in-process log. */
export async function createEventBus(options: EventBusOptions): Promise<EventBus> {
  if (!options.brokers) return new EmbeddedEventBus(options.source, options.registry, options.embedded);
  return KafkaEventBus.create({
    ...options.kafka,
    brokers: options.brokers,
    security: options.security,
    source: options.source,
    spoolDir: options.spoolDir ?? join(options.dataDir ?? '.flywheel', 'spool', options.source),
    registry: options.registry,
    clock: options.clock,
  });
}
