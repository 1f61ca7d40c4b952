import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres';
import { interactionEvents, StartProcess } from './start-process';

/**
 * OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, `flywheel start` exports spans over
 * OTLP/HTTP (JSON) to a collector — here a plain HTTP server standing in for one. The gateway's
 * interaction event carries the trace id of the request's spans; every provider call is a
 * GenAI-convention span (`chat <model>`, `gen_ai.*` attributes, `error.type`) parented to the
 * request and parenting the HTTP call; the variant decision is a `feature_flag.evaluation` event;
 * a vote is a `gen_ai.evaluation.result` event in the trace of the answer it judges.
 */

type AnyValue = {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
};
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
  events?: { name: string; attributes?: KeyValue[] }[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: KeyValue[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
}

const SERVER = 2;
const CLIENT = 3;
const STATUS_ERROR = 2;

// both variants of demo-chat start with the OpenAI-kind model, so the assertions do not depend
// on which variant the flag picks; fallback-chat's first model answers 400 (not retried)
const CONFIG = `
providers:
  sim-openai: { kind: openai, base_url: http://127.0.0.1:8090/v1, api_key_env: SIM_API_KEY }
  sim-anthropic: { kind: anthropic, base_url: http://127.0.0.1:8090, api_key_env: SIM_API_KEY }
models:
  sim-fast: { provider: sim-openai, model: sim-ok }
  sim-claude: { provider: sim-anthropic, model: sim-ok }
  sim-reject: { provider: sim-openai, model: sim-400 }
routes:
  demo-chat:
    flag: demo-chat
    default_variant: control
    variants:
      control: { chain: [sim-fast], temperature: 0.7, max_tokens: 400 }
      candidate: { chain: [sim-fast], temperature: 0.7, max_tokens: 400 }
  fallback-chat:
    flag: demo-chat
    default_variant: control
    variants:
      control: { chain: [sim-reject, sim-claude], max_tokens: 50 }
      candidate: { chain: [sim-reject, sim-claude], max_tokens: 50 }
feedback:
  token_ttl_s: 3600
  reasons: [incorrect, unhelpful]
`;

const exports: OtlpExport[] = [];
let collector: Server;
let flywheel: StartProcess;
let dataDir: string;
let db: TestDatabase;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') exports.push(JSON.parse(body) as OtlpExport);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  dataDir = mkdtempSync(join(tmpdir(), 'flywheel-tracing-'));
  const configFile = join(dataDir, 'flywheel.yaml');
  writeFileSync(configFile, CONFIG);
  db = await createTestDatabase('tracing');
  flywheel = await StartProcess.start({
    DATABASE_URL: db.url,
    FLYWHEEL_DATA_DIR: dataDir,
    FLYWHEEL_CONFIG: configFile,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
  });
}, 120_000);

afterAll(async () => {
  flywheel?.kill();
  collector?.close();
  rmSync(dataDir, { recursive: true, force: true });
  await db?.drop();
});

function chat(body: object): Promise<Response> {
  return fetch(`${flywheel.gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${flywheel.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function value(v: AnyValue | undefined): unknown {
  if (v === undefined) return undefined;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.doubleValue ?? v.boolValue;
}

function attrs(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

it('exports GenAI spans for chat, stream and fallback, the flag decision, and the vote in the answer’s trace', async () => {
  const user = 'traced-user@example.com';
  const res = await chat({ model: 'route:demo-chat', user, messages: [{ role: 'user', content: 'Hi' }] });
  expect(res.status).toBe(200);
  const answer = (await res.json()) as { flywheel: { interaction_id: string; feedback_token: string } };
  const chatId = answer.flywheel.interaction_id;
  const variant = res.headers.get('x-flywheel-variant');

  const streamed = await chat({
    model: 'route:demo-chat',
    user,
    stream: true,
    messages: [{ role: 'user', content: 'Stream it' }],
  });
  expect(streamed.status).toBe(200);
  expect(await streamed.text()).toContain('[DONE]');
  const streamId = streamed.headers.get('x-flywheel-interaction-id')!;

  const fallback = await chat({
    model: 'route:fallback-chat',
    user,
    messages: [{ role: 'user', content: 'Fall back' }],
  });
  expect(fallback.status).toBe(200);
  const fallbackId = fallback.headers.get('x-flywheel-interaction-id')!;

  const feedbackUrl = flywheel.banner(/feedback service \(POST[^\n]*?(http:\/\/\S+)/);
  const vote = await fetch(`${feedbackUrl}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      interaction_id: chatId,
      token: answer.flywheel.feedback_token,
      rating: 'down',
      reasons: ['incorrect', 'unhelpful'],
      comment: 'a private remark',
    }),
  });
  expect(vote.status).toBe(202);

  // stopping flushes the batch span processor
  expect(await flywheel.stop('SIGTERM')).toBe(0);

  const events = (await interactionEvents(new Set([chatId, streamId, fallbackId]))) as Map<
    string,
    { trace_id?: string }
  >;
  const traceOf = (id: string): string => {
    const t = events.get(id)?.trace_id;
    expect(t).toMatch(/^[0-9a-f]{32}$/);
    return t as string;
  };
  const spans = exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  const inTrace = (traceId: string) => spans.filter((s) => s.traceId === traceId);
  const genAi = (traceId: string) => inTrace(traceId).filter((s) => s.name.startsWith('chat '));
  /** the gateway's span of the request (the root: the test sends no traceparent; the simulator's spans are below) */
  const serverOf = (traceId: string) => {
    const server = inTrace(traceId).filter((s) => s.kind === SERVER && !s.parentSpanId);
    expect(server).toHaveLength(1);
    return server[0] as OtlpSpan;
  };
  /** the GenAI span is the request's child and the HTTP call's parent */
  const expectNested = (span: OtlpSpan, traceId: string) => {
    expect(span.kind).toBe(CLIENT);
    expect(span.parentSpanId).toBe(serverOf(traceId).spanId);
    const http = inTrace(traceId).filter((s) => s.parentSpanId === span.spanId && s.kind === CLIENT);
    expect(http).toHaveLength(1);
  };

  // a chat call
  const chatTrace = traceOf(chatId);
  const [chatSpan, ...moreChat] = genAi(chatTrace);
  expect(moreChat).toHaveLength(0);
  expect(chatSpan!.name).toBe('chat sim-ok');
  expectNested(chatSpan!, chatTrace);
  const a = attrs(chatSpan!.attributes);
  expect(a).toMatchObject({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'sim-ok',
    'gen_ai.response.model': 'sim-ok',
    'gen_ai.request.max_tokens': 400,
    'gen_ai.request.temperature': 0.7,
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.output.type': 'text',
    'server.address': '127.0.0.1',
  });
  expect(a['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
  expect(a['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  expect(a['gen_ai.response.id']).toEqual(expect.any(String));
  expect(a['error.type']).toBeUndefined();

  // the variant decision, on the request's span, with a hash of the user rather than the user
  const flag = serverOf(chatTrace).events?.find((e) => e.name === 'feature_flag.evaluation');
  expect(flag).toBeDefined();
  const f = attrs(flag!.attributes);
  expect(f).toMatchObject({
    'feature_flag.key': 'demo-chat',
    'feature_flag.provider.name': 'flagd',
    'feature_flag.result.variant': variant,
  });
  expect(f['feature_flag.result.reason']).toMatch(/^[a-z_]+$/);
  expect(f['feature_flag.context.id']).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.stringify(spans)).not.toContain(user);

  // a streamed call: its span ends at the stream's end, with what the last chunk reported
  const streamTrace = traceOf(streamId);
  const [streamSpan, ...moreStream] = genAi(streamTrace);
  expect(moreStream).toHaveLength(0);
  expectNested(streamSpan!, streamTrace);
  const s = attrs(streamSpan!.attributes);
  expect(s).toMatchObject({
    'gen_ai.provider.name': 'openai',
    'gen_ai.response.model': 'sim-ok',
    'gen_ai.response.finish_reasons': ['stop'],
  });
  expect(s['gen_ai.usage.output_tokens']).toBeGreaterThan(0);

  // a fallback: two provider spans, the failed one with error.type, the next one on Anthropic
  const fallbackTrace = traceOf(fallbackId);
  const calls = genAi(fallbackTrace);
  expect(calls).toHaveLength(2);
  const byProvider = new Map(calls.map((c) => [attrs(c.attributes)['gen_ai.provider.name'], c]));
  const rejected = byProvider.get('openai')!;
  const anthropic = byProvider.get('anthropic')!;
  expectNested(rejected, fallbackTrace);
  expectNested(anthropic, fallbackTrace);
  expect(rejected.name).toBe('chat sim-400');
  expect(rejected.status?.code).toBe(STATUS_ERROR);
  expect(attrs(rejected.attributes)).toMatchObject({
    'error.type': 'bad_request',
    'gen_ai.request.max_tokens': 50,
  });
  expect(attrs(rejected.attributes)['gen_ai.usage.input_tokens']).toBeUndefined();
  expect(anthropic.name).toBe('chat sim-ok');
  expect(anthropic.status?.code).not.toBe(STATUS_ERROR);
  const an = attrs(anthropic.attributes);
  expect(an).toMatchObject({ 'gen_ai.response.model': 'sim-ok', 'gen_ai.response.finish_reasons': ['stop'] });
  expect(an['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
  expect(an['error.type']).toBeUndefined();

  // the vote: an evaluation event on a span in the answer's trace, under the request that served
  // it, linked to the vote's own request; reasons explain it, the comment stays out
  const evaluations = spans.filter((x) => x.events?.some((e) => e.name === 'gen_ai.evaluation.result'));
  expect(evaluations).toHaveLength(1);
  const evaluation = evaluations[0]!;
  expect(evaluation.traceId).toBe(chatTrace);
  expect(evaluation.parentSpanId).toBe(serverOf(chatTrace).spanId);
  const result = attrs(evaluation.events!.find((e) => e.name === 'gen_ai.evaluation.result')!.attributes);
  expect(result).toEqual({
    'gen_ai.evaluation.name': 'user_feedback',
    'gen_ai.evaluation.score.label': 'down',
    'gen_ai.evaluation.score.value': 0,
    'gen_ai.evaluation.explanation': 'incorrect, unhelpful',
  });
  expect(attrs(evaluation.attributes)['flywheel.interaction.id']).toBe(chatId);
  const [link] = evaluation.links ?? [];
  const voteRequest = spans.find((x) => x.spanId === link?.spanId);
  expect(voteRequest?.kind).toBe(SERVER);
  expect(voteRequest?.traceId).not.toBe(chatTrace);
  expect(JSON.stringify(spans)).not.toContain('a private remark');

  const services = exports.flatMap((e) =>
    e.resourceSpans.map(
      (r) => r.resource.attributes.find((x) => x.key === 'service.name')?.value.stringValue,
    ),
  );
  expect(services).toContain('flywheel');
}, 120_000);
