/**
 * Feedback ingest benchmark: votes over HTTP into the feedback service on real Kafka and Redis.
 *   npm run bench:feedback
 * Uses KAFKA_BROKERS / REDIS_URL when both are set, else starts private servers with
 * startInfra() (infra/local). The service runs in its own process (`flywheel start --only
 * feedback`), so the load generator does not share its event loop (it does share the machine).
 *
 * Phase 1 (capacity probe): closed loop, BENCH_FEEDBACK_CONCURRENCY votes in flight for
 * BENCH_FEEDBACK_PROBE_SECONDS; the most the service accepts per second.
 * Phase 2 (sustained): open loop at BENCH_FEEDBACK_RATE votes/s (default: 70 % of the probe)
 * for BENCH_FEEDBACK_SECONDS (≥ 20); latency is measured from each vote's scheduled send time,
 * so a stalled service cannot hide its queueing (no coordinated omission).
 * Every vote is a new interaction by a new user with a real token; each answer must be a 202
 * (the event is durable in the spool); the events are then counted on Kafka.
 * Also reports the widget bundles' compressed sizes. Writes bench/results/feedback.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { Topics } from '@flywheel/contracts';
import { mintFeedbackToken, subjectHash } from '@flywheel/platform';
import { Kafka, logLevel } from 'kafkajs';
import { type Infra, startInfra } from '../infra/local';

const ROOT = join(__dirname, '..');
const CONCURRENCY = Number(process.env.BENCH_FEEDBACK_CONCURRENCY ?? 64);
const PROBE_SECONDS = Number(process.env.BENCH_FEEDBACK_PROBE_SECONDS ?? 10);
const SECONDS = Math.max(20, Number(process.env.BENCH_FEEDBACK_SECONDS ?? 20));
const FIXED_RATE = process.env.BENCH_FEEDBACK_RATE ? Number(process.env.BENCH_FEEDBACK_RATE) : undefined;
const SECRET = randomBytes(48).toString('base64');
const RUN = randomUUID().slice(0, 8);

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const agent = new Agent({ keepAlive: true, maxSockets: 512 });
let seq = 0;

/** One vote on a new interaction by a new user; resolves with the HTTP status. */
function vote(base: URL): Promise<number> {
  const n = seq++;
  const interactionId = `bench-${RUN}-${n}`;
  const token = mintFeedbackToken(
    {
      interaction_id: interactionId,
      route: 'bench',
      variant: 'control',
      sub: subjectHash(`bench-user-${RUN}-${n}`, SECRET),
      exp: Math.floor(Date.now() / 1000) + 3600,
    },
    SECRET,
  );
  const body = JSON.stringify({
    interaction_id: interactionId,
    token,
    rating: n % 3 ? 'up' : 'down',
    ...(n % 3 ? {} : { reasons: ['incorrect'], comment: 'The answer cites the wrong release year.' }),
  });
  return new Promise((resolve) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path: '/v1/feedback',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function startService(env: Record<string, string>): Promise<{ url: URL; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'services/cli/src/main.ts', 'start', '--only', 'feedback'],
    {
      cwd: ROOT,
      // the "listening on" line is an info log
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = out.match(/feedback listening on (http:\/\/[^\s"]+)/);
      if (m) resolve(new URL(m[1]!));
    });
    child.once('exit', (code) =>
      reject(new Error(`the feedback service exited (${code}) before listening:\n${out}`)),
    );
  });
  return { url, child };
}

function widgetSizes() {
  const sizes: Record<string, unknown> = {};
  for (const file of ['dist/widget.js', 'dist/index.js']) {
    const path = join(ROOT, 'web-widget', file);
    if (!existsSync(path)) continue;
    const raw = readFileSync(path);
    sizes[file] = {
      minified_bytes: raw.length,
      gzip_bytes: gzipSync(raw, { level: 9 }).length,
      brotli_bytes: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  }
  return sizes;
}

async function main(): Promise<void> {
  const external = process.env.KAFKA_BROKERS && process.env.REDIS_URL;
  let infra: Infra | null = null;
  if (!external) {
    console.log('starting private Kafka, Redis and Postgres (infra/local)…');
    infra = await startInfra();
  }
  const KAFKA_BROKERS =
    process.env.KAFKA_BROKERS && external ? process.env.KAFKA_BROKERS : infra!.env.KAFKA_BROKERS;
  const REDIS_URL = process.env.REDIS_URL && external ? process.env.REDIS_URL : infra!.env.REDIS_URL;
  const spoolDir = mkdtempSync(join(tmpdir(), 'bench-feedback-'));
  const { url, child } = await startService({
    KAFKA_BROKERS,
    REDIS_URL,
    FLYWHEEL_FEEDBACK_SECRET: SECRET,
    FEEDBACK_PORT: '0',
    FEEDBACK_HOST: '127.0.0.1',
    FEEDBACK_SPOOL_DIR: spoolDir,
    FEEDBACK_DEMO: 'off',
    FEEDBACK_RATE_IP_POINTS: '1000000000',
    FEEDBACK_RATE_SUBJECT_POINTS: '1000000000',
  });
  console.log(`feedback service at ${url.origin} (own process), Kafka ${KAFKA_BROKERS}, Redis ${REDIS_URL}`);

  try {
    // Warm-up: connections, JIT, the relay's producer.
    for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 50 }, () => vote(url)));

    console.log(`phase 1: capacity probe, ${CONCURRENCY} votes in flight for ${PROBE_SECONDS} s`);
    let probeAccepted = 0;
    let probeOther = 0;
    const probeEnd = performance.now() + PROBE_SECONDS * 1000;
    const p0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < probeEnd) {
          if ((await vote(url)) === 202) probeAccepted++;
          else probeOther++;
        }
      }),
    );
    const probePerS = probeAccepted / ((performance.now() - p0) / 1000);
    console.log(`  ${Math.round(probePerS)} accepted/s (${probeOther} not 202)`);

    const rate = FIXED_RATE ?? Math.max(50, Math.round((probePerS * 0.7) / 50) * 50);
    console.log(`phase 2: open loop at ${rate} votes/s for ${SECONDS} s`);
    const total = rate * SECONDS;
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const firstSeq = seq;
    const t0 = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      inflight.push(
        vote(url).then((status) => {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status === 202) latencies.push(performance.now() - due);
        }),
      );
    }
    await Promise.all(inflight);
    const elapsedS = (performance.now() - t0) / 1000;
    const sorted = latencies.sort((a, b) => a - b);
    const accepted = statuses.get(202) ?? 0;
    console.log(`  ${accepted}/${total} accepted in ${round(elapsedS, 1)} s`);

    // The 202s of phase 2 are durable in the spool: count them arriving on Kafka.
    const wanted = new Set(Array.from({ length: total }, (_, i) => `bench-${RUN}-${firstSeq + i}`));
    const kafka = new Kafka({
      clientId: 'bench-feedback',
      brokers: KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `bench-feedback-${RUN}` });
    let onKafka = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.feedback, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (wanted.delete(m.key?.toString() ?? '')) onKafka++;
      },
    });
    const deadline = Date.now() + 60_000;
    while (onKafka < accepted && Date.now() < deadline) await sleep(100);
    await consumer.disconnect();

    const results = {
      benchmark: 'feedback',
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        node: process.version,
        loadavg_1m_at_end: round(loadavg()[0] ?? NaN),
        note: 'shared machine: other work was running; the load generator, the service, Kafka and Redis share its cores',
      },
      backends: infra ? 'private Kafka 3.9.1 + Redis (infra/local)' : { KAFKA_BROKERS, REDIS_URL },
      probe: {
        concurrency: CONCURRENCY,
        seconds: PROBE_SECONDS,
        accepted_per_s: Math.round(probePerS),
        not_accepted: probeOther,
      },
      sustained: {
        target_rate_per_s: rate,
        seconds: SECONDS,
        sent: total,
        accepted,
        accepted_per_s: Math.round(accepted / elapsedS),
        statuses: Object.fromEntries(statuses),
        latency_ms: {
          p50: round(pct(sorted, 50)),
          p99: round(pct(sorted, 99)),
          max: round(sorted.at(-1) ?? NaN),
        },
        on_kafka: onKafka,
      },
      widget: widgetSizes(),
    };
    console.log(JSON.stringify(results, null, 2));
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'feedback.json'), JSON.stringify(results, null, 2) + '\n');
    console.log('wrote bench/results/feedback.json');
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    agent.destroy();
    rmSync(spoolDir, { recursive: true, force: true });
    await infra?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
