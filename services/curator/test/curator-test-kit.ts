import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EvalCaseEvent,
  EvalCaseEvent as EvalCaseEventSchema,
  type FeedbackEvent,
  type InteractionEvent,
  Topics,
} from '@flywheel/contracts';
import {
  type Clock,
  createEventBus,
  type CuratorConfig,
  type EventBus,
  ensureTopics,
  type RouteConfig,
} from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { type Admin, type Consumer, Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { startGroupAt } from '../../../test-support/kafka-groups';
import { createTestDatabase } from '../../../test-support/postgres';
import { createCuratorApp, type CuratorApp } from '../src/curator-app';
import { parseCuratorEnv } from '../src/env';

export const ADMIN_TOKEN = `curator-admin-${randomUUID()}`;

export function requireInfra(): { KAFKA_BROKERS: string; DATABASE_URL: string } {
  const { KAFKA_BROKERS, DATABASE_URL } = process.env;
  if (!KAFKA_BROKERS || !DATABASE_URL) {
    throw new Error(
      'KAFKA_BROKERS and DATABASE_URL must be set: the integration globalSetup starts Kafka and Postgres',
    );
  }
  return { KAFKA_BROKERS, DATABASE_URL };
}

const suffix = () => randomBytes(6).toString('hex');

/** A route name nobody else publishes to, so a test sees only its own cases. */
export const uniqueRoute = (prefix = 'ct') => `${prefix}-${suffix()}`;

/** A fresh Postgres database on the globalSetup's server, with a small pool for assertions. */
export async function freshDatabase(): Promise<{ url: string; pool: Pool; drop(): Promise<void> }> {
  const database = await createTestDatabase('curator');
  const pool = new Pool({ connectionString: database.url, max: 2 });
  let ended = false;
  return {
    url: database.url,
    pool,
    /** drops the database (idempotent), cutting off whoever is still connected */
    drop: async () => {
      if (!ended) await pool.end();
      ended = true;
      await database.drop();
    },
  };
}

export const curatorConfig = (over: Partial<CuratorConfig> = {}): CuratorConfig => ({
  join_ttl_s: 600,
  retention_days: 30,
  redaction: { enabled: true, extra_patterns: [], max_field_chars: 262144 },
  ...over,
});

/** A route with a `strict` variant whose output_schema the promptfoo export uses. */
export const testRoute = (): RouteConfig => ({
  flag: 'test-flag',
  default_variant: 'control',
  variants: {
    control: { chain: ['sim-fast'], allow_client_system: false },
    strict: {
      chain: ['sim-fast'],
      allow_client_system: false,
      output_schema: { type: 'object', required: ['priority'] },
    },
  },
});

export interface StartOptions {
  databaseUrl: string;
  groupId?: string;
  curator?: Partial<CuratorConfig>;
  routes?: Record<string, RouteConfig>;
  clock?: Clock;
  env?: Record<string, string>;
  /**
   * Where a new group (no `groupId` given) starts reading the interactions and feedback topics:
   * their end (default: the test sees only what it publishes, not every earlier suite's events)
   * or the first event at or after this time (ms since the epoch), for a replay.
   */
  from?: 'end' | number;
}

export interface RunningCurator extends CuratorApp {
  groupId: string;
  api<T = unknown>(path: string, init?: RequestInit & { token?: string | null }): Promise<ApiResponse<T>>;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

/** A curator on real Kafka and the given database, on a free port, in its own consumer group. */
export async function startCurator(options: StartOptions): Promise<RunningCurator> {
  const { KAFKA_BROKERS } = requireInfra();
  const groupId = options.groupId ?? `curator-test-${suffix()}`;
  if (options.groupId === undefined) {
    await startGroupAt(KAFKA_BROKERS, groupId, [Topics.interactions, Topics.feedback], options.from);
  }
  const spoolDir = mkdtempSync(join(tmpdir(), 'curator-spool-'));
  const env = parseCuratorEnv({
    KAFKA_BROKERS,
    DATABASE_URL: options.databaseUrl,
    FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
    CURATOR_PORT: '0',
    CURATOR_HOST: '127.0.0.1',
    CURATOR_SPOOL_DIR: spoolDir,
    CURATOR_GROUP_ID: groupId,
    CURATOR_SWEEP_INTERVAL_MS: '200',
    ...options.env,
  });
  const app = await createCuratorApp({
    env,
    config: { curator: curatorConfig(options.curator), routes: options.routes ?? {} },
    clock: options.clock,
  }).catch((err: unknown) => {
    rmSync(spoolDir, { recursive: true, force: true });
    throw err;
  });
  return {
    ...app,
    groupId,
    api: (path, init) => api(app.url, path, init),
    close: async () => {
      await app.close();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

export async function api<T>(
  base: string,
  path: string,
  { token = ADMIN_TOKEN, ...init }: RequestInit & { token?: string | null } = {},
): Promise<ApiResponse<T>> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  if (init.body !== undefined && !headers.has('content-type'))
    headers.set('content-type', 'application/json');
  const res = await fetch(`${base}${path}`, { ...init, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, text, body: body as T };
}

/** Publishes through the platform bus (spool → Kafka), as the gateway and feedback service do. */
export class Publisher {
  private constructor(
    readonly bus: EventBus,
    private readonly spoolDir: string,
  ) {}

  static async open(): Promise<Publisher> {
    const { KAFKA_BROKERS } = requireInfra();
    const spoolDir = mkdtempSync(join(tmpdir(), 'curator-test-publisher-'));
    const bus = await createEventBus({ source: 'curator-test', brokers: KAFKA_BROKERS, spoolDir });
    return new Publisher(bus, spoolDir);
  }

  /** Resolves once the event is on Kafka. */
  async interaction(event: InteractionEvent): Promise<void> {
    await this.bus.publish({
      type: 'dev.flywheel.interaction.v1',
      key: event.interaction_id,
      id: event.interaction_id,
      data: event,
    });
    await this.bus.flush(20_000);
  }

  async feedback(event: FeedbackEvent): Promise<void> {
    await this.bus.publish({
      type: 'dev.flywheel.feedback.v1',
      key: event.interaction_id,
      id: `${event.feedback_id}:${event.revision}`,
      data: event,
    });
    await this.bus.flush(20_000);
  }

  async close(): Promise<void> {
    await this.bus.close();
    rmSync(this.spoolDir, { recursive: true, force: true });
  }
}

const hex64 = () => randomBytes(32).toString('hex');

export function interactionEvent(
  route: string | null,
  over: Partial<InteractionEvent> & { content?: string } = {},
): InteractionEvent {
  const { content = `What is the answer to question ${suffix()}?`, ...rest } = over;
  const now = new Date().toISOString();
  return {
    interaction_id: `it-${randomUUID()}`,
    route,
    flag_key: 'test-flag',
    variant: 'control',
    variant_reason: 'SPLIT',
    subject_hash: hex64(),
    subject_generated: false,
    request: { messages: [{ role: 'user', content }], stream: false },
    attempts: [],
    final_model: 'sim-fast',
    status: 'ok',
    output: 'The answer is 41.',
    validation: { schema: false, valid: false, repaired: false, reasks: 0 },
    usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
    cost_usd: 0,
    latency_ms: 12,
    started_at: now,
    finished_at: now,
    ...rest,
  };
}

export function feedbackEvent(
  interaction: Pick<InteractionEvent, 'interaction_id' | 'route' | 'variant'>,
  over: Partial<FeedbackEvent> = {},
): FeedbackEvent {
  return {
    feedback_id: `fb-${randomUUID()}`,
    interaction_id: interaction.interaction_id,
    route: interaction.route,
    variant: interaction.variant,
    subject_hash: hex64(),
    rating: 'down',
    reasons: ['incorrect'],
    revision: 1,
    created_at: new Date().toISOString(),
    ...over,
  };
}

/**
 * Waits until the consumer group is Stable and has committed every partition of the
 * interactions and feedback topics up to their current end: whatever other test files left on
 * the topics has been read, so timings measured after this are the curator's own.
 */
export async function waitCaughtUp(groupId: string, timeoutMs = 60_000): Promise<void> {
  const { KAFKA_BROKERS } = requireInfra();
  const kafka = new Kafka({
    clientId: 'curator-test-lag',
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const topics = [Topics.interactions, Topics.feedback];
    const ends = new Map<string, string>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, p.high);
    }
    await expectEventually(
      async () => {
        const [group] = (await admin.describeGroups([groupId])).groups;
        expect(group?.state).toBe('Stable');
        const committed = await admin.fetchOffsets({ groupId, topics });
        for (const { topic, partitions } of committed) {
          for (const p of partitions) {
            const end = BigInt(ends.get(`${topic}/${p.partition}`) ?? '0');
            const at = BigInt(p.offset === '-1' ? '0' : p.offset);
            expect({ topic, partition: p.partition, behind: end > at }).toEqual({
              topic,
              partition: p.partition,
              behind: false,
            });
          }
        }
      },
      { timeoutMs, intervalMs: 250 },
    );
  } finally {
    await admin.disconnect();
  }
}

/** A plain kafkajs reader of `flywheel.eval-cases.v1` (what a downstream consumer sees). */
export class EvalCaseTopic {
  readonly events: { key: string; id: string; event: EvalCaseEvent }[] = [];

  private constructor(private readonly consumer: Consumer) {}

  static async open(): Promise<EvalCaseTopic> {
    const { KAFKA_BROKERS } = requireInfra();
    const kafka = new Kafka({
      clientId: 'curator-test-reader',
      brokers: KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin);
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: `curator-test-cases-${suffix()}` });
    const topic = new EvalCaseTopic(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.evalCases, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        let json: unknown = null;
        try {
          json = JSON.parse(message.value?.toString() ?? 'null');
        } catch {
          return;
        }
        const parsed = EvalCaseEventSchema.safeParse(json);
        if (parsed.success) {
          topic.events.push({
            key: message.key?.toString() ?? '',
            id: message.headers?.ce_id?.toString() ?? '',
            event: parsed.data,
          });
        }
      },
    });
    return topic;
  }

  /** The first event of `caseId` with `action`, once it has arrived. */
  async waitFor(caseId: string, action: EvalCaseEvent['action'], timeoutMs = 20_000) {
    return expectEventually(
      () => {
        const found = this.events.find((e) => e.event.case_id === caseId && e.event.action === action);
        expect(found).toBeDefined();
        return found!;
      },
      { timeoutMs },
    );
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}
