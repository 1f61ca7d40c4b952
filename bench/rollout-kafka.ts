/**
 * bench:rollout's Kafka stage: the rollout controller's intake on real Kafka and Postgres.
 *
 * A backlog of BENCH_ROLLOUT_KAFKA_INTERACTIONS interactions (default 100,000) of one planned
 * route, half control and half candidate, with one vote per five interactions (a fifth of them
 * dislikes), is published through the platform Kafka bus and flushed while no controller runs.
 * Then the controller (createRolloutsApp, in this process; the load generator is idle by then)
 * starts with a fresh consumer group and database and counts the backlog. Throughput = events
 * committed per second from its group's first committed progress to the last (offsets sampled
 * every 200 ms; also from the controller being ready, group join included), with the CPU it spent per event (process.cpuUsage over the same window, so it
 * includes the Postgres client and kafkajs; Postgres and Kafka are separate processes). The
 * check: GET /v1/rollouts/{route} counts every interaction and vote exactly once.
 *
 * Uses KAFKA_BROKERS and DATABASE_URL when both are set (a fresh database is created on that
 * server), else starts a private Kafka 3.9.1 and Postgres (infra/local).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FeedbackEvent, type InteractionEvent, type RolloutState, Topics } from '@flywheel/contracts';
import { createEventBus, ensureTopics, RolloutPlanConfig } from '@flywheel/platform';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { startKafka, startPostgres } from '../infra/local';
import { parseRolloutsEnv } from '../services/rollouts/src/env';
import { createRolloutsApp } from '../services/rollouts/src/rollouts-app';
import { round } from './lib/stats';

const INTERACTIONS = Number(process.env.BENCH_ROLLOUT_KAFKA_INTERACTIONS ?? 100_000);
const VOTE_EVERY = 5;
const ROUTE = 'bench-rollout';
const ADMIN = randomBytes(24).toString('hex');

function interaction(k: number, run: string): InteractionEvent {
  const now = new Date().toISOString();
  return {
    interaction_id: `it-${run}-${k}`,
    route: ROUTE,
    flag_key: ROUTE,
    variant: k % 2 === 0 ? 'control' : 'candidate',
    variant_reason: 'SPLIT',
    subject_hash: randomBytes(32).toString('hex'),
    subject_generated: false,
    request: { messages: [{ role: 'user', content: `question ${k}` }], stream: false },
    attempts: [],
    final_model: 'sim-fast',
    status: k % 97 === 0 ? 'error' : 'ok',
    output: 'an answer of a few words',
    validation: { schema: false, valid: false, repaired: false, reasks: 0 },
    usage: { input_tokens: 40, output_tokens: 60, total_tokens: 100 },
    cost_usd: 0.0001 + (k % 7) * 0.00001,
    latency_ms: 300 + (k % 113) * 7,
    started_at: now,
    finished_at: now,
  };
}

function vote(i: InteractionEvent, k: number): FeedbackEvent {
  return {
    feedback_id: `fb-${i.interaction_id}`,
    interaction_id: i.interaction_id,
    route: ROUTE,
    variant: i.variant,
    subject_hash: i.subject_hash,
    rating: k % 25 === 0 ? 'down' : 'up',
    reasons: [],
    revision: 1,
    created_at: new Date().toISOString(),
  };
}

export async function runKafkaStage() {
  const run = randomUUID().slice(0, 8);
  const group = `bench-rollout-${run}`;
  const external = Boolean(process.env.KAFKA_BROKERS && process.env.DATABASE_URL);
  const stops: (() => Promise<unknown>)[] = [];
  const work = mkdtempSync(join(tmpdir(), 'bench-rollout-'));
  try {
    let brokers = process.env.KAFKA_BROKERS ?? '';
    let serverUrl = process.env.DATABASE_URL ?? '';
    if (!external) {
      console.log('kafka stage: starting a private Kafka 3.9.1 and Postgres (infra/local)…');
      const [k, pg] = await Promise.all([startKafka(), startPostgres({ ignoreEnv: true })]);
      stops.push(
        () => k.stop(),
        () => pg.stop(),
      );
      brokers = k.brokers;
      serverUrl = pg.url;
    }
    const dbName = `bench_rollout_${run}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const dbUrl = new URL(serverUrl);
    dbUrl.pathname = `/${dbName}`;

    const kafka = new Kafka({
      clientId: 'bench-rollout',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    stops.push(() => kafkaAdmin.disconnect());
    // a broker that just started may not have the new topics' leaders yet: try again
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(kafkaAdmin);
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
    const topics = [Topics.interactions, Topics.feedback];
    const ends = async () => {
      let end = 0;
      for (const topic of topics)
        for (const p of await kafkaAdmin.fetchTopicOffsets(topic)) end += Number(p.high);
      return end;
    };
    const committed = async () => {
      let n = 0;
      for (const t of await kafkaAdmin.fetchOffsets({ groupId: group, topics }))
        for (const p of t.partitions) n += Math.max(0, Number(p.offset));
      return n;
    };

    // The backlog. On a shared broker (KAFKA_BROKERS) the fresh group also reads what other runs
    // left on the two topics: the drain is measured up to the topics' end, whatever it holds.
    const publisher = await createEventBus({
      source: 'bench-rollout',
      brokers,
      spoolDir: join(work, 'spool'),
    });
    let votes = 0;
    const t0 = performance.now();
    for (let k = 0; k < INTERACTIONS; k += 256) {
      const chunk: Promise<unknown>[] = [];
      for (let j = k; j < Math.min(INTERACTIONS, k + 256); j++) {
        const i = interaction(j, run);
        chunk.push(
          publisher.publish({ type: 'dev.flywheel.interaction.v1', key: i.interaction_id, data: i }),
        );
        if (j % VOTE_EVERY === 0) {
          votes++;
          chunk.push(
            publisher.publish({ type: 'dev.flywheel.feedback.v1', key: i.interaction_id, data: vote(i, j) }),
          );
        }
      }
      await Promise.all(chunk);
    }
    await publisher.flush(120_000);
    await publisher.close();
    const events = INTERACTIONS + votes;
    const total = await ends();
    console.log(
      `kafka stage: ${INTERACTIONS} interactions + ${votes} votes published and flushed in ` +
        `${round((performance.now() - t0) / 1000, 1)} s; ${total} events on the two topics`,
    );

    const env = parseRolloutsEnv({
      KAFKA_BROKERS: brokers,
      DATABASE_URL: dbUrl.toString(),
      FLYWHEEL_ADMIN_TOKEN: ADMIN,
      ROLLOUTS_PORT: '0',
      ROLLOUTS_SYNC_PORT: '0',
      ROLLOUTS_HOST: '127.0.0.1',
      ROLLOUTS_SPOOL_DIR: join(work, 'spool-rollouts'),
      ROLLOUTS_GROUP_ID: group,
    });
    const plan = RolloutPlanConfig.parse({
      control: 'control',
      candidate: 'candidate',
      steps: [1, 5, 25, 50, 100],
      min_per_step: { interactions: 500, votes: 100, seconds: 600 },
      guardrails: {
        dislike_rate: { max_increase: 0.02 },
        error_rate: { max_increase: 0.01 },
        latency_p95_ms: { max_ratio: 1.25 },
        cost_per_interaction: { max_ratio: 1.5 },
      },
      alpha: 0.05,
    });
    const bootAt = performance.now();
    const app = await createRolloutsApp({ env, config: { rollouts: { [ROUTE]: plan } } });
    stops.push(() => app.close());
    const readyAt = performance.now();
    const bootMs = readyAt - bootAt;

    // From the first committed progress to the last event committed.
    const samples: { at: number; committed: number; cpu: NodeJS.CpuUsage }[] = [];
    const deadline = performance.now() + 600_000;
    for (;;) {
      const c = await committed().catch(() => 0);
      samples.push({ at: performance.now(), committed: c, cpu: process.cpuUsage() });
      if (c >= total || performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const first = samples.find((s) => s.committed > 0) ?? samples[0]!;
    const last = samples.at(-1)!;
    const seconds = (last.at - first.at) / 1000;
    const measured = last.committed - first.committed;
    const cpuMs = (last.cpu.user - first.cpu.user + last.cpu.system - first.cpu.system) / 1000;

    const res = await fetch(`${app.url}/v1/rollouts/${ROUTE}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const state = (await res.json()) as RolloutState;
    const counted = Object.values(state.variants).reduce(
      (n, v) => ({
        interactions: n.interactions + v.interactions,
        votes: n.votes + v.votes_up + v.votes_down,
      }),
      { interactions: 0, votes: 0 },
    );
    const result = {
      setup: {
        kafka: external ? brokers : 'private 3.9.1 broker (infra/local)',
        postgres: external
          ? 'DATABASE_URL server, fresh database'
          : 'private server (infra/local), fsync off',
        controller: 'createRolloutsApp in the benchmark process (idle publisher), fresh group and database',
        backlog: `${INTERACTIONS} interactions (half control, half candidate) + one vote per ${VOTE_EVERY}`,
      },
      events,
      caught_up: last.committed >= total,
      boot_ms: round(bootMs),
      drain: {
        measured_events: measured,
        measured_seconds: round(seconds, 1),
        events_per_s: seconds > 0 ? Math.round(measured / seconds) : null,
        cpu_ms_per_event: measured > 0 ? round(cpuMs / measured, 3) : null,
        cores: seconds > 0 ? round(cpuMs / 1000 / seconds) : null,
        /** every event, from the controller ready (group join and first fetch included) to the last commit */
        from_ready_events_per_s: Math.round(last.committed / ((last.at - readyAt) / 1000)),
        process_rss_mib: round(process.memoryUsage().rss / 2 ** 20, 1),
      },
      checks: {
        interactions_counted: counted.interactions,
        votes_counted: counted.votes,
        exact: counted.interactions === INTERACTIONS && counted.votes === votes,
      },
    };
    console.log(
      `kafka stage: ${result.drain.events_per_s} events/s (${measured} events in ${result.drain.measured_seconds} s), ` +
        `${result.drain.cpu_ms_per_event} CPU ms/event; counted ${counted.interactions}/${INTERACTIONS} interactions, ` +
        `${counted.votes}/${votes} votes`,
    );
    return result;
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('cleanup:', err));
    rmSync(work, { recursive: true, force: true });
  }
}
