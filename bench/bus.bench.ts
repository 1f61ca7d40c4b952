/**
 * Event bus benchmark: 1 KB events through the spool to real Kafka and back to a consumer.
 *   npm run bench:bus            (starts a private Kafka 3.9.1, or uses KAFKA_BROKERS if set)
 * Phase 1 (throughput): publish BENCH_BUS_EVENTS events with BENCH_BUS_CONCURRENCY publishes in
 * flight; reports publish()/s (durable in the spool) and end-to-end consumed/s.
 * Phase 2 (latency): open-loop at BENCH_BUS_RATE events/s for BENCH_BUS_SECONDS; reports
 * publish-to-consume p50/p99/max (publish() call → consumer handler), the part of it until publish()
 * resolved (durable in the spool), and this process's CPU ms per event (publisher, relay, consumer).
 * Prints figures and writes bench/results/bus.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Topics, type FeedbackEvent } from '@flywheel/contracts';
import { startKafka } from '../infra/local';
import { KafkaEventBus } from '../services/platform/src/bus/kafka-bus';
import { pct, round } from './lib/stats';

const EVENTS = Number(process.env.BENCH_BUS_EVENTS ?? 50_000);
const CONCURRENCY = Number(process.env.BENCH_BUS_CONCURRENCY ?? 256);
const RATE = Number(process.env.BENCH_BUS_RATE ?? 2_000);
const SECONDS = Number(process.env.BENCH_BUS_SECONDS ?? 20);

function event(id: string): FeedbackEvent {
  return {
    feedback_id: id,
    interaction_id: id,
    route: 'bench',
    variant: 'control',
    subject_hash: 'b'.repeat(64),
    rating: 'down',
    reasons: ['incorrect'],
    comment: 'x'.repeat(700), // → ~1 KB JSON value
    revision: 1,
    created_at: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  const broker = process.env.KAFKA_BROKERS ? null : await startKafka();
  const brokers = process.env.KAFKA_BROKERS ?? broker!.brokers;
  const spoolDir = mkdtempSync(join(tmpdir(), 'bench-bus-'));
  const bus = await KafkaEventBus.create({ brokers, source: 'bench', spoolDir });
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let phase = 'throughput';
  const sub = await bus.subscribe({
    group: `bench-${randomUUID()}`,
    topics: [Topics.feedback],
    handler: async (e) => {
      if (e.type !== 'dev.flywheel.feedback.v1' || e.data.route !== 'bench') return;
      const t0 = sent.get(e.data.feedback_id);
      if (t0 === undefined) return;
      sent.delete(e.data.feedback_id);
      received++;
      if (phase === 'latency') latencies.push(performance.now() - t0);
    },
  });
  // Warm-up: topics, producer, consumer assignment.
  await bus.publish({ type: 'dev.flywheel.feedback.v1', key: 'warm', data: event('warm') });
  await bus.flush();
  await new Promise((r) => setTimeout(r, 3_000));
  received = 0;
  sent.clear();

  console.log(`phase 1: ${EVENTS} events, ${CONCURRENCY} publishes in flight`);
  const t1 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const id = `t-${next++}`;
        sent.set(id, performance.now());
        await bus.publish({ type: 'dev.flywheel.feedback.v1', key: id, data: event(id) });
      }
    }),
  );
  const publishMs = performance.now() - t1;
  console.log(`  publish() resolved for all in ${Math.round(publishMs)} ms; waiting for the consumer`);
  while (received < EVENTS) await new Promise((r) => setTimeout(r, 5));
  const e2eMs = performance.now() - t1;

  // let the throughput phase's commits and the broker settle before measuring latency
  await new Promise((r) => setTimeout(r, 2_000));
  console.log(`phase 2: open loop at ${RATE} events/s for ${SECONDS} s`);
  phase = 'latency';
  received = 0;
  const total = RATE * SECONDS;
  const durable: number[] = [];
  const cpu0 = process.cpuUsage();
  const t2 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t2 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const id = `l-${i}`;
    const t0 = performance.now();
    sent.set(id, t0);
    inflight.push(
      bus
        .publish({ type: 'dev.flywheel.feedback.v1', key: id, data: event(id) })
        .then(() => durable.push(performance.now() - t0)),
    );
  }
  await Promise.all(inflight);
  const deadline = performance.now() + 30_000;
  while (received < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const cpu = process.cpuUsage(cpu0);
  const sorted = latencies.sort((a, b) => a - b);
  const durableSorted = durable.sort((a, b) => a - b);

  const results = {
    benchmark: 'bus',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    kafka: broker ? 'private 3.9.1 broker (infra/local)' : brokers,
    event_bytes: JSON.stringify(event('t-0')).length,
    throughput: {
      events: EVENTS,
      concurrency: CONCURRENCY,
      publish_per_s: Math.round(EVENTS / (publishMs / 1000)),
      end_to_end_per_s: Math.round(EVENTS / (e2eMs / 1000)),
    },
    latency: {
      rate_per_s: RATE,
      seconds: SECONDS,
      sent: total,
      received,
      p50_ms: round(pct(sorted, 50)),
      p99_ms: round(pct(sorted, 99)),
      max_ms: round(sorted.at(-1) ?? NaN),
      /** publish() call → resolved (the spool's write + fdatasync): the part before the relay */
      publish_durable_p50_ms: round(pct(durableSorted, 50)),
      publish_durable_p99_ms: round(pct(durableSorted, 99)),
      /** publisher + relay + consumer in this process (the broker is a separate one) */
      cpu_ms_per_event: round((cpu.user + cpu.system) / 1000 / total, 3),
    },
  };
  console.log(JSON.stringify(results, null, 2));
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'bus.json'), JSON.stringify(results, null, 2) + '\n');
  console.log('wrote bench/results/bus.json');

  await sub.stop();
  await bus.close();
  await broker?.stop();
  rmSync(spoolDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
