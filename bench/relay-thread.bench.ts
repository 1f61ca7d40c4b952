/**
 * What publishing through the Kafka bus costs the main thread (the one that serves requests):
 *   npm run bench:relay-thread      (starts a private Kafka, or uses KAFKA_BROKERS if set)
 * Publishes BENCH_RELAY_EVENTS events of ~2 KB at BENCH_RELAY_RATE/s (open loop) through
 * KafkaEventBus and waits until the relay delivered them all, then reports per event: the main
 * thread's CPU (its own /proc task, not the process: the producer worker's thread is apart), its
 * event-loop utilization, and the bytes the main isolate allocated and its scavenges
 * (`--trace-gc-nvp` lines of that isolate only). Runs itself in a child with those flags.
 * Prints figures and writes bench/results/relay-thread.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startKafka } from '../infra/local';
import { KafkaEventBus } from '../services/platform/src/bus/kafka-bus';
import { sampleFeedback } from '../services/platform/src/testing/bus-contract';
import { parseGcTrace } from './lib/gc-trace';
import { machineInfo, writeResults } from './lib/results';
import { round } from './lib/stats';

const EVENTS = Number(process.env.BENCH_RELAY_EVENTS ?? 20_000);
const RATE = Number(process.env.BENCH_RELAY_RATE ?? 1_000);
const PAD = 'p'.repeat(1_800); // → ~2 KB events, like the gateway's interaction events
const MARK = '@@relay-thread';

/** CPU ms the main thread (task id = pid) has used: utime + stime of /proc/self/task/<pid>/stat. */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // fields 14, 15 in clock ticks of 10 ms (CLK_TCK 100)
}

/** The process's peak resident set size so far (VmHWM), MiB: a worker thread's isolate counts here too. */
function peakRssMib(): number {
  return round(Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024, 1);
}

async function child(brokers: string): Promise<void> {
  // a GC now names the main isolate in the trace (the worker's isolate starts later)
  (globalThis as unknown as { gc(): void }).gc();
  console.log(`${MARK} main-isolate-marked`);
  const spoolDir = mkdtempSync(join(tmpdir(), 'bench-relay-thread-'));
  const bus = await KafkaEventBus.create({ brokers, source: 'bench-relay-thread', spoolDir });
  const publish = (i: number) =>
    bus.publish({
      type: 'dev.flywheel.feedback.v1',
      key: `k-${i % 1000}`,
      data: { ...sampleFeedback(`relay-thread-${i}`), pad: PAD },
    });
  // warm-up: topics, producer (and worker), JIT
  for (let i = 0; i < 2_000; i++) await publish(-i - 1);
  await bus.flush(60_000);

  // a full GC on both marks: the trace's `allocated` (since the previous GC) then covers exactly the window
  (globalThis as unknown as { gc(): void }).gc();
  console.log(`${MARK} start`);
  const cpu0 = mainThreadCpuMs();
  const proc0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(publish(i));
  }
  await Promise.all(inflight);
  await bus.flush(120_000);
  const seconds = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = mainThreadCpuMs() - cpu0;
  const proc = process.cpuUsage(proc0);
  (globalThis as unknown as { gc(): void }).gc();
  console.log(`${MARK} end`);
  console.log(
    `${MARK} figures ${JSON.stringify({
      seconds: round(seconds, 1),
      main_thread_cpu_ms_per_event: round(cpu / EVENTS, 4),
      process_cpu_ms_per_event: round((proc.user + proc.system) / 1000 / EVENTS, 4),
      main_event_loop_utilization: round(elu.utilization, 3),
      peak_rss_mib: peakRssMib(),
      stats: bus.stats(),
    })}`,
  );
  await bus.close();
  rmSync(spoolDir, { recursive: true, force: true });
}

async function parent(): Promise<void> {
  const broker = process.env.KAFKA_BROKERS ? null : await startKafka();
  const brokers = process.env.KAFKA_BROKERS ?? broker!.brokers;
  console.log(`${EVENTS} events of ~2 KB at ${RATE}/s through KafkaEventBus (Kafka ${brokers})`);
  const out = await new Promise<string>((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--expose-gc', '--trace-gc-nvp', __filename, '--child'],
      { env: { ...process.env, KAFKA_BROKERS: brokers }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let text = '';
    proc.stdout.on('data', (d: Buffer) => (text += d.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}`))));
  });
  await broker?.stop();

  const lines = out.split('\n');
  const marked = lines.findIndex((l) => l.includes(`${MARK} main-isolate-marked`));
  const isolate = /^\[\d+:(0x[0-9a-f]+)\]/.exec(
    lines.slice(0, marked).findLast((l) => l.startsWith('[')) ?? '',
  );
  if (!isolate) throw new Error('no GC line of the main isolate before the mark');
  const start = lines.findIndex((l) => l.includes(`${MARK} start`));
  const end = lines.findIndex((l) => l.includes(`${MARK} end`));
  const window = lines.slice(start, end);
  const main = parseGcTrace(window.filter((l) => l.includes(`:${isolate[1]}]`)).join('\n'));
  const others = parseGcTrace(
    window.filter((l) => l.startsWith('[') && !l.includes(`:${isolate[1]}]`)).join('\n'),
  );
  const figures = JSON.parse(
    lines.find((l) => l.startsWith(`${MARK} figures `))!.slice(`${MARK} figures `.length),
  ) as Record<string, unknown>;
  const results = {
    benchmark: 'relay-thread',
    date: new Date().toISOString(),
    machine: machineInfo(),
    events: EVENTS,
    rate_per_s: RATE,
    ...figures,
    main_isolate: {
      allocated_bytes_per_event: Math.round(main.allocated_bytes / EVENTS),
      scavenges: main.scavenges,
      mark_compacts: main.mark_compacts,
      scavenge_pause_ms_total: main.scavenge_pause_ms.total,
      mark_compact_pause_ms_total: main.mark_compact_pause_ms_total,
    },
    other_isolates: {
      allocated_bytes_per_event: Math.round(others.allocated_bytes / EVENTS),
      scavenges: others.scavenges,
    },
  };
  console.log(JSON.stringify(results, null, 2));
  console.log(`wrote ${writeResults('relay-thread', results)}`);
}

(process.argv.includes('--child') ? child(process.env.KAFKA_BROKERS!) : parent()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
