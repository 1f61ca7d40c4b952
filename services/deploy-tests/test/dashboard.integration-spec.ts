import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCuratorApp, type CuratorApp, parseCuratorEnv } from '@flywheel/curator';
import { createFeedbackApp, type FeedbackApp, parseFeedbackEnv } from '@flywheel/feedback';
import { createGatewayApp, type GatewayApp, parseGatewayEnv } from '@flywheel/gateway';
import {
  createEventBus,
  type EventBus,
  mintFeedbackToken,
  parseConfig,
  subjectHash,
} from '@flywheel/platform';
import { expectEventually } from '@flywheel/platform/testing';
import { createSimServer, type SimServer } from '@flywheel/upstream-sim';
import { Registry } from 'prom-client';
import { type Exported, familyOf, parseExposition, queryRefs } from './metrics-check';

/**
 * The Grafana dashboard against the real services: gateway, feedback and curator run on one
 * embedded bus (as `flywheel start` composes them) with the upstream simulator, get enough
 * traffic to fill their metrics (answers, a fallback, a repair, votes, a refused vote, an eval
 * case, a parked vote), and every panel query must then name only metrics their /metrics pages
 * export, grouped and filtered only by labels those metrics carry.
 */
const DASHBOARD = path.resolve(__dirname, '../../../infra/observability/grafana/dashboards/flywheel.json');

/** Labels Prometheus adds at scrape time (the dashboard groups the bus gauges by service `job`). */
const TARGET_LABELS = new Set(['job', 'instance']);
/** Metrics a healthy run never gives a sample, so their labels cannot be checked here. */
const NEVER_SAMPLED = new Set([
  'flywheel_bus_handler_retries_total', // only after a consumer handler fails
  'flywheel_bus_consumer_lag', // Kafka consumers only; this test runs on the embedded bus
]);

const SECRET = 'dashboard-test-feedback-secret-0123456789';
const API_KEY = 'dashboard-test-key';
const ADMIN_TOKEN = 'dashboard-test-admin-token';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}

const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string }[] };
};
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

let tmp: string;
let sim: SimServer;
let bus: EventBus;
let gateway: GatewayApp;
let feedback: FeedbackApp;
let curator: CuratorApp;
let gatewayUrl: string;
const exported: Exported = { types: new Map(), sampleLabels: new Map() };

function testConfig(simUrl: string): string {
  return `
providers:
  sim: { kind: openai, base_url: ${simUrl}/v1, api_key_env: SIM_API_KEY }
models:
  sim-ok: { provider: sim, model: sim-ok }
  sim-down: { provider: sim, model: sim-500 }
  sim-sloppy: { provider: sim, model: sim-badjson }
routes:
  chat:
    flag: chat
    default_variant: control
    variants:
      control: { chain: [sim-down, sim-ok] }
  triage:
    flag: triage
    default_variant: control
    variants:
      control:
        chain: [sim-sloppy]
        prompt: "Triage: {{ticket}}"
        output_schema:
          type: object
          additionalProperties: false
          required: [category]
          properties: { category: { type: string, enum: [bug, billing] } }
        repair: { reask: 1 }
feedback:
  allowed_origins: []
  reasons: [incorrect, other]
curator:
  join_ttl_s: 1
  retention_days: 30
`;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flywheel-dashboard-'));
  sim = await createSimServer({ port: 0 });
  const configFile = path.join(tmp, 'flywheel.yaml');
  fs.writeFileSync(configFile, testConfig(sim.url));
  const config = parseConfig(fs.readFileSync(configFile, 'utf8'), configFile);
  const flagsFile = path.join(tmp, 'flags.json');
  const flag = { state: 'ENABLED', variants: { control: 'control' }, defaultVariant: 'control' };
  fs.writeFileSync(flagsFile, JSON.stringify({ flags: { chat: flag, triage: flag } }));
  const widgetFile = path.join(tmp, 'widget.js'); // feedback serves it; its content is not the point here
  fs.writeFileSync(widgetFile, '/* widget */');

  // One embedded bus, its metrics on the gateway's registry (as in `flywheel start`).
  const gatewayRegistry = new Registry();
  bus = await createEventBus({ source: 'dashboard-test', registry: gatewayRegistry });
  gateway = await createGatewayApp({
    env: parseGatewayEnv({
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      FLYWHEEL_API_KEYS: API_KEY,
      FLYWHEEL_FEEDBACK_SECRET: SECRET,
      FLAGS_FILE: flagsFile,
    }),
    config,
    bus,
    registry: gatewayRegistry,
    providerEnv: { SIM_API_KEY: 'sim' },
  });
  gatewayUrl = gateway.url;
  feedback = await createFeedbackApp({
    env: parseFeedbackEnv({
      FEEDBACK_HOST: '127.0.0.1',
      FEEDBACK_PORT: '0',
      FLYWHEEL_FEEDBACK_SECRET: SECRET,
      FEEDBACK_WIDGET_FILE: widgetFile,
      FEEDBACK_DEMO: 'off',
    }),
    config: config.feedback,
    bus,
  });
  curator = await createCuratorApp({
    env: parseCuratorEnv({
      CURATOR_HOST: '127.0.0.1',
      CURATOR_PORT: '0',
      FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
      FLYWHEEL_DATA_DIR: tmp, // PGlite
      CURATOR_SWEEP_INTERVAL_MS: '100',
    }),
    config: { curator: config.curator, routes: config.routes },
    bus,
  });

  // Traffic: an answer after a fallback, a repaired structured output, a down vote (→ an eval
  // case), a refused vote, and a vote whose interaction never comes (→ parked after 1 s).
  const auth = { authorization: `Bearer ${API_KEY}` };
  const chat = await post(
    `${gatewayUrl}/v1/chat/completions`,
    { model: 'route:chat', user: 'u-1', messages: [{ role: 'user', content: 'my invoice is wrong' }] },
    auth,
  );
  expect(chat.status).toBe(200);
  const triage = await post(
    `${gatewayUrl}/v1/routes/triage/invoke`,
    { input: { ticket: 'app crashes' }, user: 'u-2' },
    auth,
  );
  expect(triage.status).toBe(200);
  const vote = await post(`${feedback.url}/v1/feedback`, {
    interaction_id: chat.headers.get('x-flywheel-interaction-id'),
    token: chat.headers.get('x-flywheel-feedback-token'),
    rating: 'down',
    reasons: ['incorrect'],
  });
  expect(vote.status).toBe(202);
  const refused = await post(`${feedback.url}/v1/feedback`, {
    interaction_id: 'no-such-interaction',
    token: 'not.a-token',
    rating: 'up',
  });
  expect(refused.status).toBeGreaterThanOrEqual(400);
  const orphan = mintFeedbackToken(
    {
      interaction_id: 'never-published',
      route: 'chat',
      variant: 'control',
      sub: subjectHash('u-3', SECRET),
      exp: Math.floor(Date.now() / 1000) + 600,
    },
    SECRET,
  );
  expect(
    (
      await post(`${feedback.url}/v1/feedback`, {
        interaction_id: 'never-published',
        token: orphan,
        rating: 'down',
      })
    ).status,
  ).toBe(202);

  // The curator joins the vote into a case, and parks the orphan once join_ttl_s has passed.
  await expectEventually(
    async () => {
      const text = await scrape(curator.url);
      expect(text).toMatch(/^flywheel_curator_cases_total\{[^}]*action="created"[^}]*\} [1-9]/m);
      expect(text).toMatch(/^flywheel_curator_votes_parked_total\{[^}]*\} [1-9]/m);
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  for (const url of [gatewayUrl, feedback.url, curator.url]) parseExposition(await scrape(url), exported);
}, 120_000);

afterAll(async () => {
  for (const close of [
    () => curator?.close(),
    () => feedback?.close(),
    () => gateway?.close({ graceMs: 1000 }),
  ]) {
    await close().catch(() => undefined);
  }
  await bus?.close().catch(() => undefined);
  await sim?.close().catch(() => undefined);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the Grafana dashboard', () => {
  it('has the panels the operators need, each with a query on the dashboard datasource', () => {
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    for (const panel of panels) {
      expect([panel.title, panel.targets?.length ?? 0]).not.toEqual([panel.title, 0]);
      expect([panel.title, panel.datasource?.uid]).toEqual([panel.title, '${datasource}']);
    }
    const metricsShown = new Set(queries.flatMap((q) => queryRefs(q.expr).metrics));
    for (const metric of [
      'flywheel_http_requests_total', // request rate by route
      'flywheel_http_request_duration_seconds_bucket', // latency by route
      'flywheel_gateway_attempts_total', // provider attempts by outcome
      'flywheel_gateway_fallbacks_total',
      'flywheel_gateway_repairs_total',
      'flywheel_gateway_breaker_state',
      'flywheel_gateway_rollout_assignments_total', // by variant
      'flywheel_feedback_votes_total', // by variant and rating
      'flywheel_bus_spool_depth',
      'flywheel_bus_relay_lag_seconds',
      'flywheel_curator_cases_total', // cases created
    ]) {
      expect(metricsShown).toContain(metric);
    }
  });

  it.each(queries.map((q) => [q.panel, q.expr] as const))('%s: %s', (_panel, expr) => {
    const refs = queryRefs(expr);
    expect(refs.metrics.length).toBeGreaterThan(0);
    for (const metric of refs.metrics) {
      // exported by a service (a histogram's _bucket/_sum/_count belong to its family)
      expect([metric, familyOf(exported, metric)]).toEqual([metric, expect.any(String)]);
    }
    const sampled = refs.metrics.filter((m) => exported.sampleLabels.has(m));
    const unsampled = refs.metrics.filter((m) => !exported.sampleLabels.has(m));
    expect(unsampled.filter((m) => !NEVER_SAMPLED.has(m))).toEqual([]);
    if (sampled.length === 0) return; // every metric here is in NEVER_SAMPLED: names checked above
    // every label it groups or filters by is on the samples of a metric it reads
    const carried = new Set(sampled.flatMap((m) => [...exported.sampleLabels.get(m)!]));
    const missing = refs.labels.filter((l) => !carried.has(l) && !TARGET_LABELS.has(l));
    expect(missing).toEqual([]);
  });
});
