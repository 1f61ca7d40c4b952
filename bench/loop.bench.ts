/**
 * Feedback-loop benchmark: interactions and thumbs-downs through real Kafka into the real curator
 * on real Postgres, until every vote is an eval case.
 *   npm run bench:loop [-- --rate=200 --interactions=10000 --votes=2000 --high-rate=2500 --profile …]
 * Uses KAFKA_BROKERS / DATABASE_URL when both are set (a fresh database is created on that
 * server), else starts a private Kafka 3.9.1 and Postgres (infra/local).
 *
 * The curator runs alone in its own process (`node --import tsx services/cli/src/main.ts start --only curator`,
 * i.e. createCuratorApp, in a fresh database and consumer group), as deployed: it does not share
 * the load generator's event loop (it does share the machine). The benchmark publishes as the
 * gateway and the feedback service do: through the platform Kafka bus (spool → relay → Kafka),
 * one bus for interactions and one for votes; interactions serialized once and not validated by
 * the bus, as the gateway sends them (the curator validates every event it consumes).
 *
 * Workload (deterministic, seeded): support-assistant chats (system prompt + a ~150-character
 * question, ~15 % with an e-mail address and ~5 % with a phone number for the redactor, a
 * ~300-character answer). Evenly spread interactions get a down-vote (one in five by default),
 * some with a comment. A share of the down-voted questions (--duplicates, default 10 %) are
 * near-duplicates of an earlier down-voted one (same words, different case, spacing and
 * punctuation), which the curator merges into the existing case: the expected number of cases is
 * computed with the curator's own redactor and input hash.
 *
 * Warm-up: --warmup interactions (default 500) with their votes, at the same rate; not counted.
 *
 * Phase 1 (steady): --interactions (10,000) at --rate/s (200) on an open-loop schedule; the
 * --votes (2,000) down-votes each --vote-delay-ms (1,000) after their interaction, so at
 * rate × votes / interactions per second (40). Vote-to-case latency is measured from the
 * feedback publish() call returning (the event is durable in the spool: the point where the
 * feedback service answers 202) to
 *   - db: the vote's case link being visible in Postgres, i.e. to `GET /v1/cases` and the
 *     console (case row and link commit in one transaction): a poller reads
 *     `case_feedback` for the votes still pending every --poll-ms (25) ms, one indexed query
 *     on the curator's database; the figure is an upper bound within one poll interval;
 *   - event: the EvalCaseEvent naming the vote in its lineage (created or merged) reaching a
 *     separate kafkajs consumer of flywheel.eval-cases.v1, what a downstream consumer sees
 *     (the curator publishes it from its transactional outbox right after the commit).
 * Neither adds work to the curator itself. Also: the events the curator consumed per second
 * while the load ran and its consumer group's lag (end − committed offsets, sampled every
 * 500 ms), its CPU (cores, CPU ms per event) and RSS, Postgres and Kafka CPU, and the latency p50
 * of the first and the last quarter of the votes (a growing backlog shows there).
 *
 * Phase 1b (high rate; --high-rate=0 skips it): the same measurement at --high-rate (2,500)
 * interactions/s with --high-interactions (30,000) and --high-votes (6,000), i.e. 3,000 events/s
 * offered for 12 s: does the curator keep up (events consumed per second, lag) and what is
 * vote-to-case p50/p99 at that rate.
 *
 * Phase 2 (backlog drain, the curator's capacity): the curator is stopped; --backlog-interactions
 * (10,000) and --backlog-votes (2,000) of the same mix are published as fast as possible (each
 * vote right after its interaction) and flushed to Kafka; the curator is started again (same
 * group, same database) and drains them. Throughput = events / time, from the first committed
 * progress of its consumer group to the last event committed (offsets sampled every 200 ms);
 * boot and group join are reported apart.
 *
 * --profile (BENCH_LOOP_PROFILE=1) adds a phase 3: the same drain with half the backlog, the
 * curator's CPU sampled through its inspector; the top self-time areas and functions go into
 * the results (its throughput is not comparable: the profiler costs CPU). The raw .cpuprofile is
 * left in the OS temp dir.
 *
 * Every phase checks its outcome: every vote linked to a case in the database, the case count
 * (GET /v1/cases total) equal to the expected one, an EvalCaseEvent for every vote, no event
 * dead-lettered or retried by the curator, no publish error. Prints a table and the JSON,
 * writes bench/results/loop.json, and exits 1 when a check failed.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EvalCaseEvent as EvalCaseEventSchema,
  type FeedbackEvent,
  type InteractionEvent,
  Topics,
} from '@flywheel/contracts';
import { createEventBus, ensureTopics, type EventBus, Redactor } from '@flywheel/platform';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { Client, Pool } from 'pg';
import { type KafkaBroker, type PostgresServer, startKafka, startPostgres } from '../infra/local';
import { freePorts } from '../infra/local/ports';
import { caseInput, inputHash } from '../services/curator/src/cases/case-input';

import { type BenchChild, startChild, waitForHttp } from './lib/child';
import { type Buckets, type ProfileSummary, summarizeCpuProfile } from './lib/cpuprofile';
import { InspectorSession } from './lib/inspector';
import { runOpenLoop } from './lib/open-loop';
import {
  busiestProcesses,
  busyShare,
  cpuMsOf,
  loadAverage,
  machineTicks,
  type Memory,
  memoryOf,
} from './lib/procfs';
import { machineInfo, writeResults } from './lib/results';
import { type LatencySummary, pct, round, summarize } from './lib/stats';

// ─── settings: --flag=value, else BENCH_LOOP_*, else the default ────────────────────────────────
const SETTINGS = {
  interactions: ['BENCH_LOOP_INTERACTIONS', 10_000],
  votes: ['BENCH_LOOP_VOTES', 2_000],
  rate: ['BENCH_LOOP_RATE', 200],
  'vote-delay-ms': ['BENCH_LOOP_VOTE_DELAY_MS', 1_000],
  duplicates: ['BENCH_LOOP_DUPLICATES', 0.1],
  warmup: ['BENCH_LOOP_WARMUP', 500],
  'backlog-interactions': ['BENCH_LOOP_BACKLOG_INTERACTIONS', 10_000],
  'backlog-votes': ['BENCH_LOOP_BACKLOG_VOTES', 2_000],
  'high-rate': ['BENCH_LOOP_HIGH_RATE', 2_500],
  'high-interactions': ['BENCH_LOOP_HIGH_INTERACTIONS', 30_000],
  'high-votes': ['BENCH_LOOP_HIGH_VOTES', 6_000],
  'poll-ms': ['BENCH_LOOP_POLL_MS', 25],
  'wait-ms': ['BENCH_LOOP_WAIT_MS', 60_000],
  profile: ['BENCH_LOOP_PROFILE', 0],
} as const satisfies Record<string, readonly [string, number]>;
type Setting = keyof typeof SETTINGS;

function readSettings(argv: string[]): Record<Setting, number> {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !(m[1]! in SETTINGS)) {
      throw new Error(
        `unknown argument ${arg}; known: ${Object.keys(SETTINGS)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
    }
    flags.set(m[1]!, m[2] ?? '1');
  }
  const out = {} as Record<Setting, number>;
  for (const [name, [envName, fallback]] of Object.entries(SETTINGS) as [
    Setting,
    readonly [string, number],
  ][]) {
    const raw = flags.get(name) ?? process.env[envName];
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`--${name} (${envName}): not a number ≥ 0: ${raw}`);
    out[name] = value;
  }
  if (out.rate <= 0 || out.interactions <= 0) throw new Error('--rate and --interactions must be > 0');
  if (
    out.votes > out.interactions ||
    out['backlog-votes'] > out['backlog-interactions'] ||
    out['high-votes'] > out['high-interactions']
  ) {
    throw new Error('at most one vote per interaction: --votes ≤ --interactions');
  }
  if (out.duplicates >= 1) throw new Error('--duplicates is a share: < 1');
  return out;
}

const S = readSettings(process.argv.slice(2));
const PROFILE = S.profile > 0;
const VOTE_RATE = (S.rate * S.votes) / S.interactions;
const ROOT = join(__dirname, '..');
const CLI_MAIN = join(ROOT, 'services/cli/src/main.ts');
const RUN = randomUUID().slice(0, 8);
const GROUP = `bench-loop-${RUN}`;
const ADMIN_TOKEN = randomBytes(24).toString('hex');
/** publishes in flight while a backlog is published as fast as possible */
const BACKLOG_CONCURRENCY = 64;

/** Coarse cost buckets of the curator's profile, over `by_calling_area`. */
const COST_BUCKETS: Buckets = [
  ['Postgres client (pg) and SQL adapter', /^(pg|pg-.*|postgres-.*|services\/platform\/sql)$/],
  ['Kafka consumer, producer and spool (kafkajs, platform bus)', /^(kafkajs|services\/platform\/bus)$/],
  [
    'redaction (libphonenumber-js, validator, patterns)',
    /^(libphonenumber-js|validator|services\/curator\/redaction)$/,
  ],
  ['zod (event contract validation)', /^zod$/],
  ['curator join, cases and outbox', /^services\/curator\/(ingest|cases|db)$/],
  [
    'logging, metrics, HTTP (pino, prom-client, Nest, Fastify)',
    /^(pino.*|prom-client|@nestjs\/.*|fastify|@fastify\/.*)$/,
  ],
  ['garbage collector', /^\(garbage collector\)$/],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// ─── cleanup on every exit path ─────────────────────────────────────────────────────────────────
const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
const cleanUp = (): Promise<void> =>
  (cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => console.error('cleanup:', err));
  })());
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the curator, Kafka and Postgres…`);
    process.once(sig, () => process.exit(130));
    void cleanUp().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

// ─── workload ───────────────────────────────────────────────────────────────────────────────────
/** mulberry32: a small seeded PRNG, so every run publishes the same texts. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYSTEM_PROMPT =
  'You are the support assistant of Acme Cloud. Answer in at most three sentences, name the ' +
  'help-center article you used, and never promise refunds or credits.';
const TASKS: [verb: string, object: string, area: string][] = [
  ['reset', 'my password', 'Security'],
  ['export', 'the invoices of last quarter', 'Billing'],
  ['change', 'the billing address', 'Billing'],
  ['cancel', 'a pending order', 'Orders'],
  ['add', 'a second admin', 'Members'],
  ['move', 'my workspace to the EU region', 'Workspace'],
  ['enable', 'single sign-on', 'Security'],
  ['downgrade', 'my subscription', 'Billing'],
  ['transfer', 'a domain to another account', 'Domains'],
  ['recover', 'a deleted project', 'Projects'],
  ['rotate', 'the API keys', 'Developers'],
  ['merge', 'two accounts', 'Account'],
];
const PLANS = ['Free', 'Starter', 'Team', 'Business', 'Enterprise'];
const TRIED = ['the settings page', 'the mobile app', 'the API', 'the CLI', 'the help-center article'];
const FAILURES = [
  'shows an error',
  'does nothing',
  'asks me to contact support',
  'times out',
  'says I lack permission',
];
const NAMES = ['maria.lopez', 'j.smith', 'chen.wei', 'a.muller', 'olga.ivanova', 'sam.o'];
const REASONS = ['incorrect', 'unhelpful', 'outdated', 'too_long', 'not_followed'];
const COMMENTS = [
  'The steps do not match the current settings page.',
  'It links an article about a different plan.',
  'Wrong: this option was removed last year. Write to me at support.fan@example.org if unclear.',
  'Too vague, I still do not know where to click.',
];

interface Plan {
  phase: string;
  route: string;
  /** the user's question, per interaction */
  questions: string[];
  answers: string[];
  /** vote number per interaction, -1 when not voted */
  voteOf: Int32Array;
  /** interaction per vote */
  voted: number[];
  /** votes whose question is a near-duplicate of an earlier voted one */
  nearDuplicates: number;
  /** distinct cases the votes must make (the curator's own redaction + input hash) */
  expectedCases: number;
  subjects: string[];
}

/** Same words, different case, spacing and punctuation: the curator's input hash merges them. */
const nearDuplicate = (q: string) =>
  q
    .replace(/^How do I/, 'how do i')
    .replace('?', ' ??')
    .replace(' but it ', ',  but it ')
    .replace(/\.$/, '!!');

function makePlan(phase: string, interactions: number, votes: number, duplicateShare: number): Plan {
  const rand = prng(createHash('sha256').update(phase).digest().readUInt32BE(0));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const questions: string[] = [];
  const answers: string[] = [];
  for (let i = 0; i < interactions; i++) {
    const [verb, object, area] = pick(TASKS);
    const plan = pick(PLANS);
    const failure = pick(FAILURES);
    let q = `How do I ${verb} ${object} on the ${plan} plan? I tried ${pick(TRIED)} but it ${failure}. Order A${100_000 + i}.`;
    const pii = rand();
    if (pii < 0.15) q += ` You can reach me at ${pick(NAMES)}.${i}@example.com.`;
    else if (pii < 0.2) q += ` Call me back on +1 415 555 ${String(i % 10_000).padStart(4, '0')}.`;
    questions.push(q);
    answers.push(
      `To ${verb} ${object} on the ${plan} plan, open Settings, then ${area}, and choose "${verb}". ` +
        `If it ${failure}, sign out, clear the browser cache and try again; changes can take up to ` +
        `15 minutes to apply. Source: help-center article HC-${1_000 + (i % 500)} ("${area} basics").`,
    );
  }
  const voteOf = new Int32Array(interactions).fill(-1);
  const voted: number[] = [];
  for (let i = 0; i < interactions; i++) {
    // evenly spread: interaction i is voted when ⌊(i+1)·v/n⌋ steps up
    if (Math.floor(((i + 1) * votes) / interactions) > Math.floor((i * votes) / interactions)) {
      voteOf[i] = voted.length;
      voted.push(i);
    }
  }
  let nearDuplicates = 0;
  for (let k = 1; k < voted.length; k++) {
    if (Math.floor((k + 1) * duplicateShare) <= Math.floor(k * duplicateShare)) continue;
    const source = voted[k - 1 - Math.floor(rand() * Math.min(k, 50))]!;
    questions[voted[k]!] = nearDuplicate(questions[source]!);
    nearDuplicates++;
  }
  const redactor = new Redactor({ enabled: true, extraPatterns: [] });
  const hashes = new Set(
    voted.map((i) =>
      inputHash(redactor.redactValue(caseInput({ messages: chat(questions[i]!), stream: false }))),
    ),
  );
  const subjects = Array.from({ length: interactions }, (_, i) =>
    createHash('sha256')
      .update(`${phase}-user-${i % 3_000}`)
      .digest('hex'),
  );
  return {
    phase,
    route: `loop-${phase}`,
    questions,
    answers,
    voteOf,
    voted,
    nearDuplicates,
    expectedCases: hashes.size,
    subjects,
  };
}

const chat = (question: string) => [
  { role: 'system' as const, content: SYSTEM_PROMPT },
  { role: 'user' as const, content: question },
];
const interactionId = (p: Plan, i: number) => `it-${RUN}-${p.phase}-${i}`;
const feedbackId = (p: Plan, k: number) => `fb-${RUN}-${p.phase}-${k}`;

function interactionEvent(p: Plan, i: number): InteractionEvent {
  const finished = Date.now();
  const started = new Date(finished - 840).toISOString();
  const usage = { input_tokens: 96, output_tokens: 74, total_tokens: 170 };
  return {
    interaction_id: interactionId(p, i),
    route: p.route,
    flag_key: 'support-assistant',
    variant: i % 2 ? 'concise' : 'control',
    variant_reason: 'SPLIT',
    subject_hash: p.subjects[i]!,
    subject_generated: false,
    request: { messages: chat(p.questions[i]!), stream: i % 3 === 0 },
    attempts: [
      {
        model: 'gpt-4o-mini',
        provider: 'openai',
        status: 'ok',
        http_status: 200,
        latency_ms: 836,
        started_at: started,
        usage,
        cost_usd: 0.000059,
        try: 1,
      },
    ],
    final_model: 'gpt-4o-mini',
    status: 'ok',
    output: p.answers[i]!,
    validation: { schema: false, valid: false, repaired: false, reasks: 0 },
    usage,
    cost_usd: 0.000059,
    latency_ms: 840,
    started_at: started,
    finished_at: new Date(finished).toISOString(),
  };
}

function voteEvent(p: Plan, k: number): FeedbackEvent {
  const i = p.voted[k]!;
  return {
    feedback_id: feedbackId(p, k),
    interaction_id: interactionId(p, i),
    route: p.route,
    variant: i % 2 ? 'concise' : 'control',
    subject_hash: p.subjects[i]!,
    rating: 'down',
    reasons: [REASONS[k % REASONS.length]!],
    ...(k % 3 === 0 ? { comment: COMMENTS[k % COMMENTS.length]! } : {}),
    revision: 1,
    created_at: new Date().toISOString(),
  };
}

// ─── observation ────────────────────────────────────────────────────────────────────────────────
interface VoteTrack {
  /** performance.now() when publish() resolved: durable in the spool */
  accepted?: number;
  /** publish() call duration, ms */
  publishMs?: number;
  /** first poll that saw its case link in Postgres (performance.now() at the query's send) */
  db?: number;
  /** its EvalCaseEvent reached our consumer */
  event?: number;
}

const tracks = new Map<string, VoteTrack>();
const publishErrors: string[] = [];
const noteError = (what: string, err: unknown) => {
  if (publishErrors.length < 20) publishErrors.push(`${what}: ${(err as Error).message ?? String(err)}`);
  else publishErrors.push('');
};

interface Publishers {
  interactions: EventBus;
  votes: EventBus;
}

async function publishInteraction(buses: Publishers, p: Plan, i: number): Promise<void> {
  const data = interactionEvent(p, i);
  try {
    // as the gateway publishes: serialized once, not validated again by the bus (the curator does)
    await buses.interactions.publish({
      type: 'dev.flywheel.interaction.v1',
      key: data.interaction_id,
      id: data.interaction_id,
      data,
      json: JSON.stringify(data),
    });
  } catch (err) {
    noteError(`interaction ${data.interaction_id}`, err);
  }
}

async function publishVote(buses: Publishers, p: Plan, k: number): Promise<void> {
  const data = voteEvent(p, k);
  const track: VoteTrack = {};
  tracks.set(data.feedback_id, track);
  const t0 = performance.now();
  try {
    await buses.votes.publish({
      type: 'dev.flywheel.feedback.v1',
      key: data.interaction_id,
      id: `${data.feedback_id}:${data.revision}`,
      data,
    });
    track.accepted = performance.now();
    track.publishMs = track.accepted - t0;
    poller?.watch(data.feedback_id);
  } catch (err) {
    noteError(`vote ${data.feedback_id}`, err);
  }
}

/** Polls `case_feedback` for the votes not seen there yet, one query at a time. */
class DbPoller {
  private readonly pending = new Set<string>();
  private stopped = false;
  private readonly loop: Promise<void>;
  queries = 0;

  constructor(
    private readonly pool: Pool,
    private readonly intervalMs: number,
  ) {
    this.loop = this.run();
  }

  watch(id: string): void {
    this.pending.add(id);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const sentAt = performance.now();
      if (this.pending.size > 0) {
        const ids = [...this.pending];
        this.queries++;
        const { rows } = await this.pool.query<{ feedback_id: string }>(
          'select feedback_id from case_feedback where feedback_id = any($1::text[])',
          [ids],
        );
        for (const { feedback_id } of rows) {
          this.pending.delete(feedback_id);
          const t = tracks.get(feedback_id);
          if (t && t.db === undefined) t.db = sentAt;
        }
      }
      await sleep(this.intervalMs - (performance.now() - sentAt));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
let poller: DbPoller | undefined;

/** A plain kafkajs reader of flywheel.eval-cases.v1 in its own group: marks each vote its event names. */
async function watchCaseEvents(kafka: Kafka, routes: Set<string>) {
  const actions: Record<string, Record<string, number>> = {};
  const seen = new Set<string>();
  const consumer = kafka.consumer({ groupId: `bench-loop-cases-${RUN}`, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.evalCases, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const parsed = EvalCaseEventSchema.safeParse(JSON.parse(m.value?.toString() ?? 'null'));
        if (!parsed.success || !routes.has(parsed.data.route)) continue;
        const e = parsed.data;
        const ceId = m.headers?.ce_id?.toString() ?? `${e.case_id}:${e.action}:${m.offset}`;
        if (seen.has(ceId)) continue; // an at-least-once repeat
        seen.add(ceId);
        (actions[e.route] ??= {})[e.action] = (actions[e.route]?.[e.action] ?? 0) + 1;
        for (const id of e.lineage.feedback_ids) {
          const t = tracks.get(id);
          if (t && t.event === undefined) t.event = now;
        }
      }
    },
  });
  await joined;
  return { actions, stop: () => consumer.disconnect() };
}

/** Sum of the committed offsets of the curator's group and of the end offsets, over both topics. */
async function groupProgress(admin: Admin): Promise<{ committed: number; end: number }> {
  const topics = [Topics.interactions, Topics.feedback];
  let end = 0;
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) end += Number(p.high);
  }
  let committed = 0;
  for (const t of await admin.fetchOffsets({ groupId: GROUP, topics })) {
    for (const p of t.partitions) committed += Math.max(0, Number(p.offset));
  }
  return { committed, end };
}

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  console.warn(`  gave up waiting for ${what} after ${timeoutMs} ms`);
  return false;
}

/** CPU ms of a process and its children (Postgres: the postmaster and its backends). */
function treeCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let total = cpuMsOf(pid);
  if (total === undefined) return undefined;
  for (const child of childPids(pid)) total += cpuMsOf(child) ?? 0;
  return total;
}

function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync('/proc')) {
    if (!/^\d+$/.test(task)) continue;
    try {
      const stat = readFileSync(`/proc/${task}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) out.push(Number(task));
    } catch {
      // gone
    }
  }
  return out;
}

// ─── the curator ────────────────────────────────────────────────────────────────────────────────
interface Ctx {
  work: string;
  kafka: Kafka;
  admin: Admin;
  buses: Publishers;
  curatorEnv: Record<string, string>;
  curatorUrl: string;
  curator?: BenchChild;
  db: Pool;
  brokerPid?: number;
  postgresPid?: number;
}

async function startCurator(ctx: Ctx, label: string, inspectPort?: number): Promise<number> {
  const t0 = performance.now();
  const child = await startChild({
    name: 'curator',
    command: process.execPath,
    args: [
      ...(inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
      '--import',
      'tsx',
      CLI_MAIN,
      'start',
      '--only',
      'curator',
    ],
    env: { ...process.env, ...ctx.curatorEnv },
    cwd: ROOT,
    logFile: join(ctx.work, `curator-${label}.log`),
  });
  ctx.curator = child;
  await waitForHttp(child, `${ctx.curatorUrl}/healthz`, 120_000);
  return performance.now() - t0;
}

async function stopCurator(ctx: Ctx): Promise<number> {
  const t0 = performance.now();
  await ctx.curator?.stop('SIGTERM', 20_000);
  ctx.curator = undefined;
  return performance.now() - t0;
}

/** The curator's /metrics samples starting with one of `prefixes` (name{labels} → value). */
async function curatorMetrics(ctx: Ctx): Promise<Record<string, number>> {
  const res = await fetch(`${ctx.curatorUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    if (!/^flywheel_(bus_events_consumed|bus_handler_retries|curator_)/.test(line)) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

const sumMetric = (m: Record<string, number>, name: string, filter = '') =>
  Object.entries(m)
    .filter(([k]) => (k === name || k.startsWith(`${name}{`)) && k.includes(filter))
    .reduce((s, [, v]) => s + v, 0);

/** What a phase left in the curator's database and API, against what it should have made. */
async function verify(ctx: Ctx, p: Plan, actions: Record<string, Record<string, number>>) {
  const prefix = `fb-${RUN}-${p.phase}-%`;
  const { rows } = await ctx.db.query<{ links: number; cases: number }>(
    `select count(*)::int as links, count(distinct case_id)::int as cases from case_feedback
     where feedback_id like $1`,
    [prefix],
  );
  const res = await fetch(`${ctx.curatorUrl}/v1/cases?route=${encodeURIComponent(p.route)}&limit=1`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const list = (await res.json()) as { total?: number };
  const ids = p.voted.map((_, k) => feedbackId(p, k));
  const missingDb = ids.filter((id) => tracks.get(id)?.db === undefined).length;
  const missingEvent = ids.filter((id) => tracks.get(id)?.event === undefined).length;
  return {
    votes: p.voted.length,
    near_duplicate_votes: p.nearDuplicates,
    expected_cases: p.expectedCases,
    api_cases_total: list.total ?? null,
    db_case_links: rows[0]?.links ?? 0,
    db_cases: rows[0]?.cases ?? 0,
    case_events: actions[p.route] ?? {},
    /** votes with no case link in the database */
    missing_in_db: p.voted.length - (rows[0]?.links ?? 0),
    /** votes the poller never saw (the backlog phases do not poll: null) */
    missing_db_observations: missingDb,
    missing_case_events: missingEvent,
  };
}
type Verification = Awaited<ReturnType<typeof verify>>;
const verificationOk = (v: Verification, polled: boolean) =>
  v.missing_in_db === 0 &&
  v.missing_case_events === 0 &&
  (!polled || v.missing_db_observations === 0) &&
  v.db_cases === v.expected_cases &&
  v.api_cases_total === v.expected_cases &&
  (v.case_events.created ?? 0) === v.expected_cases &&
  (v.case_events.merged ?? 0) === v.votes - v.expected_cases;

// ─── phase 1 (and the warm-up): a steady rate ───────────────────────────────────────────────────
async function runSteady(
  ctx: Ctx,
  p: Plan,
  watcher: Awaited<ReturnType<typeof watchCaseEvents>>,
  rate = S.rate,
) {
  const voteRate = (rate * p.voted.length) / p.questions.length;
  const pid = ctx.curator!.pid;
  const before = {
    at: performance.now(),
    curator: cpuMsOf(pid),
    postgres: treeCpuMs(ctx.postgresPid),
    broker: cpuMsOf(ctx.brokerPid ?? -1),
    self: process.cpuUsage(),
    machine: machineTicks(),
    load: loadAverage(),
  };
  const rss: Memory[] = [];
  const rssTimer = setInterval(() => {
    const m = memoryOf(pid);
    if (m) rss.push(m);
  }, 1_000);
  poller = new DbPoller(ctx.db, S['poll-ms']);
  // The curator group's lag (end − committed offsets) every 500 ms: a curator that keeps up stays near 0.
  const lag: { at: number; committed: number; end: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const g = await groupProgress(ctx.admin).catch(() => undefined);
      if (g) lag.push({ at: performance.now(), ...g });
      await sleep(500);
    }
  })();
  const inflight: Promise<void>[] = [];
  const voteLag: number[] = [];
  let run: Awaited<ReturnType<typeof runOpenLoop>>;
  try {
    run = await runOpenLoop({
      rate,
      seconds: p.questions.length / rate,
      fire: (i, due) => {
        inflight.push(publishInteraction(ctx.buses, p, i));
        const k = p.voteOf[i]!;
        if (k < 0) return;
        const voteDue = due + S['vote-delay-ms'];
        inflight.push(
          sleep(voteDue - performance.now()).then(() => {
            voteLag.push(performance.now() - voteDue);
            return publishVote(ctx.buses, p, k);
          }),
        );
      },
    });
    await Promise.all(inflight);
    const published = performance.now();
    const ids = p.voted.map((_, k) => feedbackId(p, k));
    await waitFor(
      `the cases of ${p.phase}`,
      () => ids.every((id) => tracks.get(id)?.db !== undefined && tracks.get(id)?.event !== undefined),
      S['wait-ms'],
    );
    await waitFor(
      'the curator to commit every event',
      async () => {
        const g = await groupProgress(ctx.admin);
        return g.committed >= g.end;
      },
      S['wait-ms'],
    );
    sampling = false;
    await sampler;
    const after = {
      at: performance.now(),
      curator: cpuMsOf(pid),
      postgres: treeCpuMs(ctx.postgresPid),
      broker: cpuMsOf(ctx.brokerPid ?? -1),
      self: process.cpuUsage(before.self),
      machine: machineTicks(),
      load: loadAverage(),
    };
    const end = memoryOf(pid);
    if (end) rss.push(end);
    const wallS = (after.at - before.at) / 1000;
    const cores = (a?: number, b?: number) =>
      a !== undefined && b !== undefined ? round((b - a) / 1000 / wallS) : null;
    const events = p.questions.length + p.voted.length;
    const curatorCpu =
      before.curator !== undefined && after.curator !== undefined ? after.curator - before.curator : NaN;

    const byDue = ids.map((id) => tracks.get(id)!);
    const dbLat = byDue.flatMap((t) =>
      t.db !== undefined && t.accepted !== undefined ? [t.db - t.accepted] : [],
    );
    const evLat = byDue.flatMap((t) =>
      t.event !== undefined && t.accepted !== undefined ? [t.event - t.accepted] : [],
    );
    // Consumption while the schedule ran: committed offsets from the first sample to the last one
    // before the publishing ended.
    const during = lag.filter((l) => l.at <= published);
    const l0 = during[0];
    const l1 = during.at(-1);
    const consumedPerS =
      l0 && l1 && l1.at > l0.at ? round((l1.committed - l0.committed) / ((l1.at - l0.at) / 1000), 1) : null;
    const q = Math.floor(dbLat.length / 4);
    const p50 = (xs: number[]) =>
      round(
        pct(
          [...xs].sort((a, b) => a - b),
          50,
        ),
      );
    const firstQuarter = p50(dbLat.slice(0, q));
    const lastQuarter = p50(dbLat.slice(dbLat.length - q));
    return {
      interactions: p.questions.length,
      votes: p.voted.length,
      interaction_rate_per_s: rate,
      vote_rate_per_s: round(voteRate, 1),
      offered_events_per_s: round(rate + voteRate, 1),
      vote_delay_ms: S['vote-delay-ms'],
      schedule_s: round(run.elapsedMs / 1000, 1),
      publish_done_after_s: round((published - before.at) / 1000, 1),
      interaction_dispatch_lag: run.dispatchLag,
      vote_dispatch_lag: summarize(voteLag),
      /** the feedback bus's publish() call (spool append): what the feedback service waits for before its 202 */
      vote_publish_call: summarize(byDue.flatMap((t) => (t.publishMs !== undefined ? [t.publishMs] : []))),
      vote_to_case_ms: {
        db_visible: summarize(dbLat),
        eval_case_event: summarize(evLat),
        db_visible_p50_first_quarter: firstQuarter,
        db_visible_p50_last_quarter: lastQuarter,
      },
      db_poll: { interval_ms: S['poll-ms'], queries: poller.queries },
      curator: {
        events_consumed: events,
        /** committed offsets per second while the load ran (offered: interaction rate + vote rate) */
        consumed_per_s_during_load: consumedPerS,
        /** the most events the curator's group was behind the end of the two topics (500 ms samples) */
        max_lag_events: lag.length ? Math.max(...lag.map((l) => l.end - l.committed)) : null,
        lag_events_when_publishing_ended: l1 ? l1.end - l1.committed : null,
        /** from the last publish to every case seen and every offset committed */
        caught_up_after_load_s: round((after.at - published) / 1000, 1),
        cores: cores(before.curator, after.curator),
        cpu_ms_per_event: round(curatorCpu / events, 3),
        rss_mib_max: rss.length ? Math.max(...rss.map((m) => m.rss_mib)) : null,
        rss_mib_end: rss.at(-1)?.rss_mib ?? null,
      },
      cpu: {
        window_s: round(wallS, 1),
        postgres_cores: cores(before.postgres, after.postgres),
        kafka_broker_cores: cores(before.broker, after.broker),
        load_generator_cores: round((after.self.user + after.self.system) / 1e6 / wallS),
        machine_busy_share: busyShare(before.machine, after.machine),
        load_average_before: before.load,
        load_average_after: after.load,
      },
      checks: await verify(ctx, p, watcher.actions),
    };
  } finally {
    clearInterval(rssTimer);
    await poller.stop();
    poller = undefined;
  }
}
type SteadyRun = Awaited<ReturnType<typeof runSteady>>;

// ─── phase 2 (and 3): drain a backlog ───────────────────────────────────────────────────────────
interface DrainSample {
  at: number;
  progress: number;
  curator?: number;
  postgres?: number;
}

async function runDrain(
  ctx: Ctx,
  p: Plan,
  watcher: Awaited<ReturnType<typeof watchCaseEvents>>,
  inspectPort?: number,
) {
  const stopMs = await stopCurator(ctx);
  const base = await groupProgress(ctx.admin);

  // The backlog, as fast as possible: interaction i, then its vote.
  const sends: (() => Promise<void>)[] = [];
  for (let i = 0; i < p.questions.length; i++) {
    sends.push(() => publishInteraction(ctx.buses, p, i));
    const k = p.voteOf[i]!;
    if (k >= 0) sends.push(() => publishVote(ctx.buses, p, k));
  }
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: BACKLOG_CONCURRENCY }, async () => {
      while (next < sends.length) await sends[next++]!();
    }),
  );
  const publishedMs = performance.now() - t0;
  await Promise.all([ctx.buses.interactions.flush(120_000), ctx.buses.votes.flush(120_000)]);
  const onKafkaMs = performance.now() - t0;
  const total = sends.length;
  console.log(
    `  ${total} events published in ${Math.round(publishedMs)} ms, on Kafka after ${Math.round(onKafkaMs)} ms; starting the curator`,
  );

  const spawnedAt = performance.now();
  const bootMs = await startCurator(ctx, p.phase, inspectPort);
  const pid = ctx.curator!.pid;
  let inspector: InspectorSession | undefined;
  if (inspectPort) {
    inspector = await InspectorSession.connect(inspectPort);
    await inspector.startProfiling(1_000);
  }
  const samples: DrainSample[] = [];
  const rss: Memory[] = [];
  const deadline = performance.now() + 5 * S['wait-ms'];
  for (;;) {
    const g = await groupProgress(ctx.admin);
    const m = memoryOf(pid);
    if (m) rss.push(m);
    samples.push({
      at: performance.now(),
      progress: g.committed - base.committed,
      curator: cpuMsOf(pid),
      postgres: treeCpuMs(ctx.postgresPid),
    });
    if (g.committed - base.committed >= total || performance.now() > deadline) break;
    await sleep(200);
  }
  const cpuProfile = await inspector?.stopProfiling();
  inspector?.close();
  const first = samples.find((s) => s.progress > 0);
  const last = samples.at(-1)!;
  const caughtUp = last.progress >= total;
  const windowS = first && last !== first ? (last.at - first.at) / 1000 : NaN;
  const diff = (a?: number, b?: number) => (a !== undefined && b !== undefined ? b - a : NaN);
  const curatorCpu = first ? diff(first.curator, last.curator) : NaN;
  const postgresCpu = first ? diff(first.postgres, last.postgres) : NaN;
  const drained = first ? last.progress - first.progress : 0;

  const ids = p.voted.map((_, k) => feedbackId(p, k));
  await waitFor(
    `the case events of ${p.phase}`,
    () => ids.every((id) => tracks.get(id)?.event !== undefined),
    S['wait-ms'],
  );
  // No poller here: the database is read once, after the drain.
  const { rows } = await ctx.db.query<{ feedback_id: string }>(
    'select feedback_id from case_feedback where feedback_id = any($1::text[])',
    [ids],
  );
  const seenAt = performance.now();
  for (const { feedback_id } of rows) {
    const t = tracks.get(feedback_id);
    if (t && t.db === undefined) t.db = seenAt;
  }

  let profile: (ProfileSummary & { file: string }) | undefined;
  if (cpuProfile) {
    const file = join(
      tmpdir(),
      `flywheel-curator-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`,
    );
    writeFileSync(file, JSON.stringify(cpuProfile));
    profile = { file, ...summarizeCpuProfile(cpuProfile, ROOT, 25, COST_BUCKETS) };
  }
  return {
    interactions: p.questions.length,
    votes: p.voted.length,
    events: total,
    publish: {
      concurrency: BACKLOG_CONCURRENCY,
      publish_calls_per_s: Math.round(total / (publishedMs / 1000)),
      on_kafka_after_ms: Math.round(onKafkaMs),
    },
    restart: {
      stop_ms: Math.round(stopMs),
      boot_to_http_ms: Math.round(bootMs),
      /** from spawning the curator to its group's first committed progress (boot, group join, first batch) */
      spawn_to_first_progress_ms: first ? Math.round(first.at - spawnedAt) : null,
      spawn_to_caught_up_ms: caughtUp ? Math.round(last.at - spawnedAt) : null,
    },
    drain: {
      caught_up: caughtUp,
      events_committed: last.progress,
      /** between the first and the last offset sample that moved (commits every ≤ 200 events per partition) */
      measured_events: drained,
      measured_seconds: round(windowS, 2),
      events_per_s: round(drained / windowS, 1),
      curator_cores: round(curatorCpu / 1000 / windowS),
      curator_cpu_ms_per_event: round(curatorCpu / drained, 3),
      postgres_cores: round(postgresCpu / 1000 / windowS),
      curator_rss_mib_max: rss.length ? Math.max(...rss.map((m) => m.rss_mib)) : null,
      profiled: Boolean(inspectPort),
    },
    checks: await verify(ctx, p, watcher.actions),
    ...(profile ? { profile } : {}),
  };
}
type DrainRun = Awaited<ReturnType<typeof runDrain>>;

// ─── output ─────────────────────────────────────────────────────────────────────────────────────
const checks = (v: Verification) =>
  `${v.db_case_links}/${v.votes} votes linked, ${v.db_cases} cases (API total ${v.api_cases_total}, expected ` +
  `${v.expected_cases}), events ${JSON.stringify(v.case_events)}, missing: db ${v.missing_in_db}, events ${v.missing_case_events}`;

/** A steady-rate phase: vote-to-case latency, the curator's throughput and CPU, the checks. */
function steadyTable(name: string, steady: SteadyRun): string[] {
  const head = ['vote → case (ms)', 'count', 'p50', 'p90', 'p99', 'max', 'mean'];
  const row = (label: string, l: LatencySummary) => [
    label,
    String(l.count),
    ...[l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.mean_ms].map((v) => v.toFixed(1)),
  ];
  const rows = [
    row('visible in Postgres', steady.vote_to_case_ms.db_visible),
    row('EvalCaseEvent consumed', steady.vote_to_case_ms.eval_case_event),
    row('(vote publish() call)', steady.vote_publish_call),
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const c = steady.curator;
  return [
    `${name}: ${steady.interactions} interactions at ${steady.interaction_rate_per_s}/s + ${steady.votes} down-votes at ` +
      `${steady.vote_rate_per_s}/s (each ${steady.vote_delay_ms} ms after its interaction)`,
    fmt(head),
    ...rows.map(fmt),
    `  p50 visible, first vs last quarter: ${steady.vote_to_case_ms.db_visible_p50_first_quarter} / ` +
      `${steady.vote_to_case_ms.db_visible_p50_last_quarter} ms`,
    `  curator: ${c.consumed_per_s_during_load} events/s consumed during the load (max lag ${c.max_lag_events} events, ` +
      `caught up ${c.caught_up_after_load_s} s after it), ${c.cores} cores, ${c.cpu_ms_per_event} CPU ms/event, RSS max ${c.rss_mib_max} MiB;` +
      ` Postgres ${steady.cpu.postgres_cores} cores, Kafka ${steady.cpu.kafka_broker_cores}, load generator ` +
      `${steady.cpu.load_generator_cores}; machine busy ${Math.round(steady.cpu.machine_busy_share * 100)} %`,
    `  ${checks(steady.checks)}`,
  ];
}

function table(steady: SteadyRun, backlog: DrainRun, profiled?: DrainRun): string {
  const d = backlog.drain;
  return [
    ...steadyTable('steady', steady),
    '',
    `backlog: ${backlog.events} events (${backlog.interactions} interactions + ${backlog.votes} votes) published at ` +
      `${backlog.publish.publish_calls_per_s}/s while the curator was down`,
    `  curator drain: ${d.events_per_s} events/s (${d.measured_events} events in ${d.measured_seconds} s), ` +
      `${d.curator_cores} cores, ${d.curator_cpu_ms_per_event} CPU ms/event, Postgres ${d.postgres_cores} cores, RSS max ${d.curator_rss_mib_max} MiB`,
    `  restart: boot ${backlog.restart.boot_to_http_ms} ms, first progress after ${backlog.restart.spawn_to_first_progress_ms} ms,` +
      ` caught up after ${backlog.restart.spawn_to_caught_up_ms} ms`,
    `  ${checks(backlog.checks)}`,
    ...(profiled?.profile
      ? [
          '',
          `profiled drain (${profiled.events} events, ${profiled.drain.events_per_s} events/s under the profiler): ` +
            `curator busy ${profiled.profile.busy_ms} of ${profiled.profile.sampled_ms} ms sampled`,
          '  cost buckets (% of busy time):',
          ...(profiled.profile.buckets ?? []).map((b) => `  ${String(b.self_pct).padStart(6)} %  ${b.name}`),
          '  top functions by self time:',
          ...profiled.profile.top_functions
            .slice(0, 12)
            .map((f) => `  ${String(f.self_pct).padStart(6)} %  ${f.name}`),
          `  raw profile: ${profiled.profile.file}`,
        ]
      : []),
  ].join('\n');
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────
async function main(): Promise<number> {
  const startedAt = new Date();
  console.log('what else is running (CPU over 2 s, before starting anything):');
  const busyBefore = await busiestProcesses(2_000, 6);
  for (const p of busyBefore) console.log(`  ${String(p.cores).padStart(5)} cores  ${p.pid}  ${p.command}`);
  const loadStart = loadAverage();

  const plans = {
    warmup: makePlan('warmup', S.warmup, Math.round((S.warmup * S.votes) / S.interactions), S.duplicates),
    steady: makePlan('steady', S.interactions, S.votes, S.duplicates),
    backlog: makePlan('backlog', S['backlog-interactions'], S['backlog-votes'], S.duplicates),
    ...(S['high-rate'] > 0
      ? { high: makePlan('high', S['high-interactions'], S['high-votes'], S.duplicates) }
      : {}),
    ...(PROFILE
      ? {
          profiled: makePlan(
            'profiled',
            Math.ceil(S['backlog-interactions'] / 2),
            Math.ceil(S['backlog-votes'] / 2),
            S.duplicates,
          ),
        }
      : {}),
  };
  const sample = interactionEvent(plans.steady, 0);
  const eventBytes = {
    interaction: JSON.stringify(sample).length,
    vote_with_comment: JSON.stringify(voteEvent(plans.steady, 0)).length,
  };

  const work = mkdtempSync(join(tmpdir(), 'bench-loop-'));
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));

  const external = Boolean(process.env.KAFKA_BROKERS && process.env.DATABASE_URL);
  let broker: KafkaBroker | undefined;
  let postgres: PostgresServer | undefined;
  if (!external) {
    console.log('starting a private Kafka 3.9.1 and Postgres (infra/local)…');
    const [k, pg] = await Promise.allSettled([startKafka(), startPostgres({ ignoreEnv: true })]);
    if (k.status === 'fulfilled') cleanups.push(() => k.value.stop());
    if (pg.status === 'fulfilled') cleanups.push(() => pg.value.stop());
    if (k.status === 'rejected') throw k.reason;
    if (pg.status === 'rejected') throw pg.reason;
    broker = k.value;
    postgres = pg.value;
  }
  const brokers = broker?.brokers ?? process.env.KAFKA_BROKERS!;
  const serverUrl = postgres?.url ?? process.env.DATABASE_URL!;

  // A fresh database for this run's curator.
  const dbName = `bench_loop_${RUN}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${dbName}`;
  if (external) {
    cleanups.push(async () => {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${dbName} with (force)`).finally(() => c.end());
    });
  }

  const kafka = new Kafka({
    clientId: 'bench-loop',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  cleanups.push(() => kafkaAdmin.disconnect());
  await ensureTopics(kafkaAdmin);
  const watcher = await watchCaseEvents(kafka, new Set(Object.values(plans).map((p) => p.route)));
  cleanups.push(() => watcher.stop());

  const buses: Publishers = {
    interactions: await createEventBus({
      source: 'flywheel-gateway',
      brokers,
      spoolDir: join(work, 'spool-gateway'),
    }),
    votes: await createEventBus({
      source: 'flywheel-feedback',
      brokers,
      spoolDir: join(work, 'spool-feedback'),
    }),
  };
  cleanups.push(() => Promise.all([buses.interactions.close(), buses.votes.close()]));

  const db = new Pool({ connectionString: dbUrl.toString(), max: 2 });
  cleanups.push(() => db.end());
  const configFile = join(work, 'flywheel.yaml');
  writeFileSync(
    configFile,
    '# bench/loop.bench.ts: curator defaults (redaction on, join TTL 600 s)\ncurator: {}\n',
  );
  const [port, inspectPort] = (await freePorts(2)) as [number, number];
  const ctx: Ctx = {
    work,
    kafka,
    admin: kafkaAdmin,
    buses,
    db,
    brokerPid: broker?.pid,
    postgresPid: postgres?.pid,
    curatorUrl: `http://127.0.0.1:${port}`,
    curatorEnv: {
      KAFKA_BROKERS: brokers,
      DATABASE_URL: dbUrl.toString(),
      FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
      FLYWHEEL_CONFIG: configFile,
      FLYWHEEL_DATA_DIR: join(work, 'data'),
      CURATOR_PORT: String(port),
      CURATOR_HOST: '127.0.0.1',
      CURATOR_SPOOL_DIR: join(work, 'spool-curator'),
      CURATOR_GROUP_ID: GROUP,
    },
  };
  cleanups.push(() => stopCurator(ctx));

  const bootMs = await startCurator(ctx, 'steady');
  console.log(
    `curator at ${ctx.curatorUrl} (own process ${ctx.curator!.pid}), booted in ${Math.round(bootMs)} ms`,
  );
  await waitFor(
    'the curator to join its consumer group',
    async () => {
      const [group] = (await kafkaAdmin.describeGroups([GROUP])).groups;
      return group?.state === 'Stable' && group.members.length > 0;
    },
    60_000,
  );

  const metricsAt: Record<string, number>[] = [];
  let warmup: SteadyRun | undefined;
  if (S.warmup > 0) {
    console.log(`warm-up: ${S.warmup} interactions at ${S.rate}/s with ${plans.warmup.voted.length} votes`);
    warmup = await runSteady(ctx, plans.warmup, watcher);
  }
  console.log(
    `phase 1 (steady): ${S.interactions} interactions at ${S.rate}/s + ${S.votes} down-votes at ${round(VOTE_RATE, 1)}/s` +
      ` (${plans.steady.nearDuplicates} near-duplicates → ${plans.steady.expectedCases} cases)`,
  );
  const steady = await runSteady(ctx, plans.steady, watcher);
  console.log(
    `  visible in Postgres p50 ${steady.vote_to_case_ms.db_visible.p50_ms} / p99 ${steady.vote_to_case_ms.db_visible.p99_ms} ms;` +
      ` EvalCaseEvent p50 ${steady.vote_to_case_ms.eval_case_event.p50_ms} / p99 ${steady.vote_to_case_ms.eval_case_event.p99_ms} ms`,
  );
  metricsAt.push(await curatorMetrics(ctx));

  let high: SteadyRun | undefined;
  if (plans.high) {
    const offered = S['high-rate'] * (1 + S['high-votes'] / S['high-interactions']);
    console.log(
      `phase 1b (high rate): ${S['high-interactions']} interactions at ${S['high-rate']}/s + ${S['high-votes']} ` +
        `down-votes: ${Math.round(offered)} events/s offered`,
    );
    high = await runSteady(ctx, plans.high, watcher, S['high-rate']);
    console.log(
      `  consumed ${high.curator.consumed_per_s_during_load} events/s (${high.curator.cpu_ms_per_event} CPU ms/event);` +
        ` visible in Postgres p50 ${high.vote_to_case_ms.db_visible.p50_ms} / p99 ${high.vote_to_case_ms.db_visible.p99_ms} ms`,
    );
    metricsAt.push(await curatorMetrics(ctx));
  }

  console.log(
    `phase 2 (backlog): stopping the curator, publishing ${plans.backlog.questions.length} interactions + ` +
      `${plans.backlog.voted.length} votes as fast as possible`,
  );
  const backlog = await runDrain(ctx, plans.backlog, watcher);
  console.log(`  drained at ${backlog.drain.events_per_s} events/s`);
  metricsAt.push(await curatorMetrics(ctx));

  let profiled: DrainRun | undefined;
  if (plans.profiled) {
    console.log(
      `phase 3 (profiled drain): ${plans.profiled.questions.length + plans.profiled.voted.length} events`,
    );
    profiled = await runDrain(ctx, plans.profiled, watcher, inspectPort);
    metricsAt.push(await curatorMetrics(ctx));
  }

  // Counters restart with each curator process: sum over them.
  const total = (name: string, filter = '') => metricsAt.reduce((s, m) => s + sumMetric(m, name, filter), 0);
  const errors = {
    publish_errors: publishErrors.length,
    publish_error_samples: publishErrors.filter(Boolean).slice(0, 5),
    curator_dead_lettered: total('flywheel_bus_events_consumed_total', 'outcome="dlq"'),
    curator_handler_retries: total('flywheel_bus_handler_retries_total'),
    curator_redeliveries: total('flywheel_curator_redeliveries_total'),
  };
  const phasesOk =
    verificationOk(steady.checks, true) &&
    (!high || verificationOk(high.checks, true)) &&
    verificationOk(backlog.checks, false) &&
    (!profiled || verificationOk(profiled.checks, false)) &&
    backlog.drain.caught_up;
  const ok =
    phasesOk &&
    errors.publish_errors === 0 &&
    errors.curator_dead_lettered === 0 &&
    errors.curator_handler_retries === 0;

  const results = {
    benchmark: 'loop',
    date: startedAt.toISOString(),
    machine: machineInfo(),
    conditions: {
      load_average_at_start: loadStart,
      load_average_at_end: loadAverage(),
      busiest_processes_before_start: busyBefore,
      note:
        'The load generator, the curator, Kafka and Postgres share the machine (and, on a shared ' +
        'machine, other work: see the busiest processes and load averages).',
    },
    setup: {
      kafka: broker ? 'private 3.9.1 broker (infra/local)' : brokers,
      postgres: postgres ? 'private server (infra/local), fsync off' : 'DATABASE_URL server, fresh database',
      curator:
        'node --import tsx services/cli/src/main.ts start --only curator (createCuratorApp) in its own process, fresh database, ' +
        'own consumer group, flywheel.yaml `curator: {}` (redaction on), default sweep interval',
      publishers:
        'two platform Kafka buses in the load generator (spool → relay → Kafka), as the gateway (interactions) and the ' +
        'feedback service (votes) publish',
      workload:
        'support-assistant chats: system prompt + question (~15 % with an e-mail, ~5 % with a phone number), ~300-char ' +
        'answer; evenly spread interactions get a down-vote, a third of the votes with a comment',
      near_duplicates:
        `${Math.round(S.duplicates * 100)} % of the down-voted questions repeat an earlier down-voted one with other ` +
        "case, spacing and punctuation: the curator merges them (expected cases from the curator's own redactor and input hash)",
      event_bytes: eventBytes,
      vote_to_case_latency:
        'from the vote publish() returning (durable in the spool: when the feedback service answers 202) to ' +
        '(db) the first poll of case_feedback that sees the vote linked (visible to GET /v1/cases; upper bound within ' +
        'one poll interval) and (event) its EvalCaseEvent reaching a separate kafkajs consumer of flywheel.eval-cases.v1',
      throughput:
        'steady: events consumed per second at the offered rate, with the curator CPU per event; backlog: the curator ' +
        'restarted on a backlog, events committed per second from its first to its last committed progress',
      settings: S,
    },
    warmup: warmup ? { interactions: warmup.interactions, votes: warmup.votes, checks: warmup.checks } : null,
    steady,
    ...(high ? { high_rate: high } : {}),
    backlog,
    ...(profiled ? { profiled_drain: profiled } : {}),
    errors,
    curator_metrics_at_end_of_each_process: metricsAt,
    ok,
  };

  console.log('\n' + JSON.stringify(results, null, 2));
  console.log('\n' + table(steady, backlog, profiled));
  if (high) console.log('\n' + steadyTable('high rate', high));
  console.log(`\nwrote ${writeResults('loop', results)}`);
  if (!ok) {
    console.error(
      'CHECK FAILED: missing cases, wrong case counts, dead-lettered/retried events or publish errors (see "checks" and "errors")',
    );
    return 1;
  }
  return 0;
}

main()
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    console.error(err);
    await cleanUp();
    process.exit(1);
  });
