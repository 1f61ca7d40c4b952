import { Counter, Gauge, type Registry } from 'prom-client';
import { type CounterCells, counterCells } from '../telemetry/counter-cells';
import type { BusStats } from './event-bus';

export interface BusMetrics {
  /** pre-bound: one per published event */
  published: CounterCells<'type'>;
  consumed: Counter<'group' | 'topic' | 'outcome'>;
  retries: Counter<'group'>;
  /** Kafka only: messages behind the partition's high watermark after the consumer's last batch */
  consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  /** Kafka relay: events the broker refused for good, by reason and where they went (kafka DLQ topic or file) */
  deadLettered: Counter<'reason' | 'destination'>;
}

/** Registers the bus's metrics on `registry`; gauges read `stats()` at scrape time. */
export function registerBusMetrics(registry: Registry, stats: () => BusStats): BusMetrics {
  new Gauge({
    name: 'flywheel_bus_spool_depth',
    help: 'Events accepted by publish() and not yet acknowledged by the broker',
    registers: [registry],
    collect() {
      this.set(stats().spoolDepth);
    },
  });
  new Gauge({
    name: 'flywheel_bus_spool_bytes',
    help: 'Bytes of undelivered events in the local spool',
    registers: [registry],
    collect() {
      this.set(stats().spoolBytes);
    },
  });
  new Gauge({
    name: 'flywheel_bus_relay_lag_seconds',
    help: 'Age of the oldest undelivered event in the spool (0 when empty); alert when it keeps growing',
    registers: [registry],
    collect() {
      this.set(stats().relayLagMs / 1000);
    },
  });
  return {
    published: counterCells(registry, {
      name: 'flywheel_bus_events_published_total',
      help: 'Events accepted by publish()',
      labelNames: ['type'],
    }),
    consumed: new Counter({
      name: 'flywheel_bus_events_consumed_total',
      help: 'Events consumed, by outcome (handled or dlq)',
      labelNames: ['group', 'topic', 'outcome'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'flywheel_bus_handler_retries_total',
      help: 'Handler failures that led to a redelivery',
      labelNames: ['group'],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'flywheel_bus_consumer_lag',
      help: 'Messages between the consumer group position and the partition end, after each batch (Kafka)',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'flywheel_bus_relay_dead_lettered_total',
      help: 'Events the broker refused for good (too large, invalid topic or record), moved out of the way by the relay; destination kafka = the DLQ topic, file = the local dead-letter file',
      labelNames: ['reason', 'destination'],
      registers: [registry],
    }),
  };
}
