import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FeedbackEvent, FeedbackEvent as FeedbackEventSchema, Topics } from '@flywheel/contracts';
import { mintFeedbackToken, subjectHash } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { startGroupAt } from '../../../test-support/kafka-groups';
import { createFeedbackApp, type FeedbackApp } from '../src/feedback-app';
import { parseFeedbackEnv } from '../src/env';

/** before the test file that imported this kit published anything */
const FILE_LOADED_AT = Date.now();

export const SECRET = `feedback-integration-${randomUUID()}`;
export const REASONS = ['incorrect', 'unhelpful', 'wrong_format', 'unsafe', 'other'];

export function requireInfra(): { KAFKA_BROKERS: string; REDIS_URL: string } {
  const { KAFKA_BROKERS, REDIS_URL } = process.env;
  if (!KAFKA_BROKERS || !REDIS_URL) {
    throw new Error(
      'KAFKA_BROKERS and REDIS_URL must be set: the integration globalSetup starts Kafka and Redis',
    );
  }
  return { KAFKA_BROKERS, REDIS_URL };
}

export interface StartOptions {
  allowedOrigins?: string[];
  /** extra env, e.g. FEEDBACK_RATE_SUBJECT_POINTS */
  env?: Record<string, string>;
}

export interface RunningFeedback extends FeedbackApp {
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
}

/** A feedback service on real Kafka and Redis, on a free port, with its own spool. */
export async function startFeedback(options: StartOptions = {}): Promise<RunningFeedback> {
  const spoolDir = mkdtempSync(join(tmpdir(), 'feedback-spool-'));
  const env = parseFeedbackEnv({
    ...requireInfra(),
    FLYWHEEL_FEEDBACK_SECRET: SECRET,
    FEEDBACK_PORT: '0',
    FEEDBACK_HOST: '127.0.0.1',
    FEEDBACK_SPOOL_DIR: spoolDir,
    // Every test process shares 127.0.0.1 and one Redis: limits are tested with their own
    // instances and forwarded addresses, not left to collide here.
    FEEDBACK_RATE_IP_POINTS: '100000',
    FEEDBACK_RATE_SUBJECT_POINTS: '100000',
    ...options.env,
  });
  const app = await createFeedbackApp({
    env,
    config: { allowed_origins: options.allowedOrigins ?? [], token_ttl_s: 3600, reasons: REASONS },
  }).catch((err: unknown) => {
    rmSync(spoolDir, { recursive: true, force: true });
    throw err;
  });
  return {
    ...app,
    post: (body, headers = {}) =>
      fetch(`${app.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close: async () => {
      await app.close();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

export interface Voter {
  interactionId: string;
  user: string;
  subject: string;
  token: string;
}

/** A user and an interaction, with a token minted as the gateway would. */
export function voter(
  over: { interactionId?: string; user?: string; expS?: number; secret?: string; route?: string } = {},
): Voter {
  const interactionId = over.interactionId ?? `it-${randomUUID()}`;
  const user = over.user ?? `user-${randomUUID()}`;
  const subject = subjectHash(user, SECRET);
  const token = mintFeedbackToken(
    {
      interaction_id: interactionId,
      route: over.route ?? 'demo-chat',
      variant: 'candidate',
      sub: subject,
      exp: Math.floor(Date.now() / 1000) + (over.expS ?? 3600),
    },
    over.secret ?? SECRET,
  );
  return { interactionId, user, subject, token };
}

export interface TopicMessage {
  key: string;
  headers: Record<string, string>;
  event: FeedbackEvent;
}

/**
 * A plain kafkajs consumer on `flywheel.feedback.v1` (not our bus): what a downstream consumer
 * really sees. Reads the topic from the beginning in its own group.
 */
export class FeedbackTopic {
  readonly messages: TopicMessage[] = [];

  private constructor(private readonly consumer: Consumer) {}

  static async open(brokers: string): Promise<FeedbackTopic> {
    const kafka = new Kafka({
      clientId: 'feedback-test-reader',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const groupId = `feedback-test-${randomUUID()}`;
    // from when the test file was loaded, not through (and into memory) every earlier suite's events
    await startGroupAt(brokers, groupId, [Topics.feedback], FILE_LOADED_AT);
    const consumer = kafka.consumer({ groupId });
    const topic = new FeedbackTopic(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.feedback, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {}))
          if (v !== undefined) headers[k] = v.toString();
        // Other test files share this topic and put poison messages on it on purpose (the bus's
        // DLQ tests): skip what is not a FeedbackEvent instead of blocking the partition.
        let json: unknown = null;
        try {
          json = JSON.parse(message.value?.toString() ?? 'null');
        } catch {
          return;
        }
        const parsed = FeedbackEventSchema.safeParse(json);
        if (parsed.success)
          topic.messages.push({ key: message.key?.toString() ?? '', headers, event: parsed.data });
      },
    });
    return topic;
  }

  events(interactionId: string, subject?: string): FeedbackEvent[] {
    return this.messages
      .filter((m) => m.key === interactionId && (subject === undefined || m.event.subject_hash === subject))
      .map((m) => m.event);
  }

  /** Waits for an event matching `predicate`, returning it. */
  async waitFor(predicate: (m: TopicMessage) => boolean, timeoutMs = 45_000): Promise<TopicMessage> {
    return expectEventually(
      () => {
        const found = this.messages.find(predicate);
        expect(found).toBeDefined();
        return found!;
      },
      { timeoutMs },
    );
  }

  /**
   * Every event of `subject` on `interactionId`, once a marker vote on the same interaction (by
   * another subject, through `feedback`) has arrived: same key, same partition, published
   * later, so anything the subject's votes produced before it is already here.
   */
  async settled(feedback: RunningFeedback, interactionId: string, subject: string): Promise<FeedbackEvent[]> {
    const marker = voter({ interactionId });
    const res = await feedback.post({ interaction_id: interactionId, token: marker.token, rating: 'up' });
    expect(res.status).toBe(202);
    await this.waitFor((m) => m.key === interactionId && m.event.subject_hash === marker.subject);
    return this.events(interactionId, subject);
  }

  close(): Promise<void> {
    return this.consumer.disconnect();
  }
}
