import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InteractionEvent, Topics } from '@flywheel/contracts';
import { type FlywheelConfig, parseConfig } from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { Kafka, logLevel } from 'kafkajs';
import OpenAI from 'openai';
import { createSimServer, type SimServer } from '../../upstream-sim/src';
import { startGroupAt } from '../../../test-support/kafka-groups';
import { createGatewayApp, type GatewayApp, type GatewayAppOptions, parseGatewayEnv } from '../src';

/**
 * The gateway as a test sees it: an in-process upstream simulator, the gateway app listening on
 * a free port with the test configuration (fixtures/gateway.yaml pointed at the simulator), its
 * own copy of fixtures/flags.json, its own spool directory, and real Kafka (KAFKA_BROKERS from
 * the integration project's globalSetup).
 */

export const API_KEY = 'test-key-0123';
export const OTHER_KEY = 'test-key-4567';
export const ADMIN_TOKEN = 'test-admin-token-89ab';
export const SECRET = 'gateway-test-secret-0123456789abcdef';
export const BODY_LIMIT = 64 * 1024;
export const CORS_ORIGIN = 'http://demo.allowed.test:8081';

const FIXTURES = join(__dirname, 'fixtures');
/** before the test file that imported this kit published anything */
const FILE_LOADED_AT = Date.now();

export interface TestGateway {
  url: string;
  sim: SimServer;
  gateway: GatewayApp;
  flagsFile: string;
  /** replaces the flags file (the gateway picks it up without a restart) */
  writeFlags(flags: object): void;
  readFlags(): { flags: Record<string, unknown> };
  close(): Promise<void>;
}

/**
 * `env` adds to (or replaces) the test environment, e.g. a bigger body limit or REDIS_URL;
 * `configure` edits the loaded fixture configuration (e.g. adds `api_keys`).
 */
export async function startGateway(
  options: Partial<GatewayAppOptions> = {},
  env: Record<string, string> = {},
  configure?: (config: FlywheelConfig) => void,
): Promise<TestGateway> {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers)
    throw new Error(
      'KAFKA_BROKERS is not set: run in the integration project (its globalSetup starts Kafka)',
    );
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-gateway-test-'));
  const flagsFile = join(dir, 'flags.json');
  writeFileSync(flagsFile, readFileSync(join(FIXTURES, 'flags.json')));
  const sim = await createSimServer();
  const configFile = join(FIXTURES, 'gateway.yaml');
  const config = parseConfig(readFileSync(configFile, 'utf8').replaceAll('{{SIM_URL}}', sim.url), configFile);
  configure?.(config);
  const gatewayEnv = parseGatewayEnv({
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    FLYWHEEL_API_KEYS: `${API_KEY}, ${OTHER_KEY}`,
    FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
    FLYWHEEL_FEEDBACK_SECRET: SECRET,
    FLAGS_FILE: flagsFile,
    KAFKA_BROKERS: brokers,
    FLYWHEEL_DATA_DIR: dir,
    GATEWAY_BODY_LIMIT_BYTES: String(BODY_LIMIT),
    GATEWAY_CORS_ORIGINS: CORS_ORIGIN,
    ...env,
  });
  const gateway = await createGatewayApp({
    env: gatewayEnv,
    config,
    providerEnv: { SIM_API_KEY: 'sk-sim' },
    resilience: {
      // no breaker opening across tests; a Retry-After over 0.5 s moves on to the next model
      breaker: { consecutiveFailures: 10_000 },
      backoff: { baseMs: 5, maxMs: 20, retryAfterCapMs: 500 },
    },
    ...options,
  });
  return {
    url: gateway.url,
    sim,
    gateway,
    flagsFile,
    writeFlags: (flags) => writeFileSync(flagsFile, JSON.stringify(flags, null, 2)),
    readFlags: () => JSON.parse(readFileSync(flagsFile, 'utf8')) as { flags: Record<string, unknown> },
    close: async () => {
      await gateway.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs JSON with the test key unless `headers` says otherwise. */
export function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    signal,
    method: 'POST',
    headers: {
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface ErrorJson {
  error: {
    type: string;
    code?: string;
    param?: string | null;
    message: string;
    details?: unknown;
    error_id?: string;
  };
}

/**
 * Every interaction event on real Kafka (`flywheel.interactions.v1`), read with a raw kafkajs
 * consumer in its own group, each checked against the InteractionEvent contract.
 */
export async function watchInteractions(): Promise<{
  event(interactionId: string, timeoutMs?: number): Promise<InteractionEvent>;
  /** the first event seen that matches */
  where(match: (event: InteractionEvent) => boolean, timeoutMs?: number): Promise<InteractionEvent>;
  /** how many messages with this interaction id were seen (redeliveries of the topic included) */
  count(interactionId: string): number;
  close(): Promise<void>;
}> {
  const kafka = new Kafka({
    clientId: 'gateway-test-watch',
    brokers: (process.env.KAFKA_BROKERS as string).split(','),
    logLevel: logLevel.NOTHING,
  });
  const seen = new Map<string, { raw: unknown; ceType?: string; key?: string }>();
  const counts = new Map<string, number>();
  const check = (found: { raw: unknown; ceType?: string; key?: string }, id: string): InteractionEvent => {
    expect(found.ceType).toBe('dev.flywheel.interaction.v1');
    expect(found.key).toBe(id);
    const parsed = InteractionEvent.safeParse(found.raw);
    expect(parsed.error).toBeUndefined();
    return parsed.data as InteractionEvent;
  };
  const groupId = `gateway-test-${randomUUID()}`;
  // from when the test file was loaded, not through (and into memory) every earlier suite's events
  await startGroupAt(process.env.KAFKA_BROKERS as string, groupId, [Topics.interactions], FILE_LOADED_AT);
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.interactions, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const raw = JSON.parse(message.value.toString()) as { interaction_id?: string };
      if (typeof raw.interaction_id !== 'string') return;
      counts.set(raw.interaction_id, (counts.get(raw.interaction_id) ?? 0) + 1);
      seen.set(raw.interaction_id, {
        raw,
        ceType: message.headers?.ce_type?.toString(),
        key: message.key?.toString(),
      });
    },
  });
  return {
    async event(interactionId, timeoutMs = 20_000) {
      const found = await expectEventually(
        () => {
          const hit = seen.get(interactionId);
          if (!hit) throw new Error(`no interaction event ${interactionId} on Kafka yet`);
          return hit;
        },
        { timeoutMs, intervalMs: 50 },
      );
      return check(found, interactionId);
    },
    async where(match, timeoutMs = 20_000) {
      const [id, found] = await expectEventually(
        () => {
          for (const entry of seen) {
            const parsed = InteractionEvent.safeParse(entry[1].raw);
            if (parsed.success && match(parsed.data)) return entry;
          }
          throw new Error('no matching interaction event on Kafka yet');
        },
        { timeoutMs, intervalMs: 100 },
      );
      return check(found, id);
    },
    count: (interactionId) => counts.get(interactionId) ?? 0,
    close: () => consumer.disconnect(),
  };
}

export type InteractionWatch = Awaited<ReturnType<typeof watchInteractions>>;

/** What a gateway spec works with, filled in by the hooks {@link gatewaySuite} registers. */
export interface GatewaySuite {
  gw: TestGateway;
  kafka: InteractionWatch;
  /** the real `openai` client with the test key, on the gateway */
  openai: OpenAI;
  chatUrl: string;
  invokeUrl: string;
}

/**
 * The setup the chat, stream and auth specs share: a gateway (startGateway) and an interaction
 * watcher on Kafka, started in beforeAll and closed in afterAll.
 */
export function gatewaySuite(options: Partial<GatewayAppOptions> = {}): GatewaySuite {
  const suite = {} as GatewaySuite;
  beforeAll(async () => {
    [suite.gw, suite.kafka] = await Promise.all([startGateway(options), watchInteractions()]);
    suite.openai = new OpenAI({ apiKey: API_KEY, baseURL: `${suite.gw.url}/v1`, maxRetries: 0 });
    suite.chatUrl = `${suite.gw.url}/v1/chat/completions`;
    suite.invokeUrl = `${suite.gw.url}/v1/routes/triage/invoke`;
  });
  afterAll(async () => {
    await suite.kafka?.close();
    await suite.gw?.close();
  });
  return suite;
}
