import { InteractionEvent } from '@flywheel/contracts';
import {
  DomainError,
  type EventBus,
  ManualClock,
  SpoolFullError,
  subjectHash,
  verifyFeedbackToken,
} from '@flywheel/platform';
import { Registry } from 'prom-client';
import { ChainExecutor, DEFAULT_CHAIN_OPTIONS } from '../chain/chain-executor';
import { GatewayError } from '../chain/gateway-error';
import { ModelCatalog } from '../chain/model-catalog';
import type { Caller } from '../http/caller';
import type { LlmResponse, LlmStreamEvent } from '../llm/llm.types';
import type { LlmProvider } from '../providers/llm-provider';
import { ProviderError } from '../providers/provider-error';
import { ProviderRegistry } from '../providers/provider-registry';
import { Backoff } from '../resilience/backoff';
import { CircuitBreakers } from '../resilience/circuit-breakers';
import type { Assignment } from '../rollout/rollout.service';
import { SchemaValidator } from '../structured/schema-validator';
import { DEFAULT_EVENT_MAX_BYTES } from './event-size';
import { GatewayMetrics } from './gateway.metrics';
import { InteractionEvents } from './interaction-events';
import { InteractionService } from './interaction.service';

/**
 * Interactions through the real chain executor, with a scripted provider: what each outcome
 * records (event, token, metrics) and that the event is recorded before the caller has its answer.
 */

const SECRET = 'interaction-spec-secret-0123456789ab';
const T0 = Date.parse('2026-03-01T12:00:00Z');
const usage = { input_tokens: 4, output_tokens: 6, total_tokens: 10 };

class FakeProvider implements LlmProvider {
  constructor(
    private readonly behaviour: Record<string, () => Promise<LlmResponse> | AsyncIterable<LlmStreamEvent>>,
  ) {}
  complete(req: { model: string }): Promise<LlmResponse> {
    return this.behaviour[req.model]!() as Promise<LlmResponse>;
  }
  stream(req: { model: string }): AsyncIterable<LlmStreamEvent> {
    return this.behaviour[req.model]!() as AsyncIterable<LlmStreamEvent>;
  }
}

async function* cutAfter(...words: string[]): AsyncIterable<LlmStreamEvent> {
  for (const text of words) yield { type: 'delta', text };
  throw new ProviderError('network', 'socket closed');
}

function setup(publish?: (e: { data: unknown }) => Promise<{ id: string }>) {
  const clock = new ManualClock(T0);
  const provider = new FakeProvider({
    good: () => Promise.resolve({ text: 'Paris.', usage, finish_reason: 'stop' }),
    bad: () => Promise.reject(new ProviderError('server_error', 'boom', 500)),
    cut: () => cutAfter('Par', 'is'),
    streamed: () =>
      (async function* (): AsyncIterable<LlmStreamEvent> {
        yield { type: 'delta', text: 'Par' };
        yield { type: 'delta', text: 'is.' };
        yield { type: 'done', finish_reason: 'stop', usage };
      })(),
  });
  const providers = { p: { kind: 'openai' as const, api_key_env: 'K', timeout_ms: 1000 } };
  const registry = new ProviderRegistry(providers, {
    kinds: { openai: () => provider },
    env: { K: 'k' },
    clock,
  });
  const models = {
    good: { provider: 'p', model: 'good', price: { input_per_mtok: 1, output_per_mtok: 1 } },
    bad: { provider: 'p', model: 'bad', price: { input_per_mtok: 1, output_per_mtok: 1 } },
    cut: { provider: 'p', model: 'cut', price: { input_per_mtok: 1, output_per_mtok: 1 } },
    streamed: { provider: 'p', model: 'streamed', price: { input_per_mtok: 1, output_per_mtok: 1 } },
  };
  const breakers = new CircuitBreakers();
  const executor = new ChainExecutor(
    {
      catalog: new ModelCatalog({ providers, models }, registry),
      breakers,
      backoff: new Backoff({ baseMs: 0, maxMs: 0, retryAfterCapMs: 0 }, { next: () => 0 }),
      validator: new SchemaValidator(),
      clock,
      sleeper: { sleep: () => Promise.resolve() },
    },
    { ...DEFAULT_CHAIN_OPTIONS, maxAttemptsPerModel: 1 },
  );
  const published: InteractionEvent[] = [];
  const bus = {
    publish:
      publish ??
      (async (e: { data: unknown; json?: string }) => {
        // what goes on the wire: the JSON the gateway hands over (the bus does not re-check it)
        published.push(JSON.parse(e.json ?? 'null') as InteractionEvent);
        return { id: 'x' };
      }),
  } as Pick<EventBus, 'publish'>;
  const promRegistry = new Registry();
  const metrics = new GatewayMetrics(promRegistry, breakers, Object.keys(models));
  const events = new InteractionEvents(bus, metrics, clock, DEFAULT_EVENT_MAX_BYTES);
  const service = new InteractionService(executor, events, metrics, { secret: SECRET, ttlS: 600 }, clock);
  return { service, published, events, clock, promRegistry };
}

const assignment = (chain: string[]): Assignment => ({
  route: 'r',
  flagKey: 'f',
  variant: 'v',
  reason: 'TARGETING_MATCH',
  chain: { chain },
});
const caller: Caller = {
  role: 'client',
  targetingKey: 'user-7',
  subjectGenerated: false,
  attributes: {},
  app: 'web',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
};
const request = { messages: [{ role: 'user' as const, content: 'Capital of France?' }], stream: false };

describe('InteractionService', () => {
  it('mints a feedback token for the interaction, its variant and subject, valid for the configured TTL', () => {
    const { service } = setup();
    const interaction = service.begin(assignment(['good']), caller, request);
    expect(interaction.subjectHash).toBe(subjectHash('user-7', SECRET));
    expect(verifyFeedbackToken(interaction.feedbackToken, SECRET, T0)).toEqual({
      ok: true,
      payload: {
        v: 1,
        interaction_id: interaction.id,
        route: 'r',
        variant: 'v',
        sub: interaction.subjectHash,
        exp: T0 / 1000 + 600,
      },
    });
    expect(verifyFeedbackToken(interaction.feedbackToken, SECRET, T0 + 600_000)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('records one valid ok event before the caller gets its answer', async () => {
    let durable = false;
    const published: InteractionEvent[] = [];
    const { service, clock } = setup(async (e) => {
      await new Promise((resolve) => setTimeout(resolve, 20)); // a group commit
      published.push(e.data as InteractionEvent);
      durable = true;
      return { id: 'x' };
    });
    const interaction = service.begin(assignment(['bad', 'good']), caller, request);
    clock.advance(25);
    const result = await service.complete(interaction);
    expect(durable).toBe(true);
    expect(result.response.text).toBe('Paris.');
    expect(published).toHaveLength(1);
    const event = published[0]!;
    expect(InteractionEvent.safeParse(event).error).toBeUndefined();
    expect(event).toMatchObject({
      interaction_id: interaction.id,
      route: 'r',
      flag_key: 'f',
      variant: 'v',
      variant_reason: 'TARGETING_MATCH',
      subject_generated: false,
      app: 'web',
      trace_id: caller.traceId,
      status: 'ok',
      output: 'Paris.',
      final_model: 'good',
      latency_ms: 25,
      started_at: new Date(T0).toISOString(),
      finished_at: new Date(T0 + 25).toISOString(),
    });
    expect(event.attempts.map((a) => `${a.model}:${a.status}`)).toEqual(['bad:error', 'good:ok']);
    expect(event.output_json).toBeUndefined();
  });

  it('records a failed chain as an error event and rethrows the GatewayError', async () => {
    const { service, published, events, promRegistry } = setup();
    const interaction = service.begin(assignment(['bad']), caller, request);
    await expect(service.complete(interaction)).rejects.toBeInstanceOf(GatewayError);
    await events.flush();
    expect(published[0]).toMatchObject({ status: 'error', output: null, final_model: null });
    expect(InteractionEvent.safeParse(published[0]).error).toBeUndefined();
    const metrics = await promRegistry.metrics();
    expect(metrics).toContain('flywheel_gateway_attempts_total{provider="p",model="bad",outcome="error"} 1');
  });

  it('records a stream cut after its first token as truncated, with the partial output', async () => {
    const { service, published, events } = setup();
    const interaction = service.begin(assignment(['cut', 'good']), caller, { ...request, stream: true });
    const stream = service.stream(interaction);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const d of stream) if (d.type === 'delta') seen.push(d.text);
      })(),
    ).rejects.toMatchObject({ code: 'truncated' });
    expect(seen).toEqual(['Par', 'is']);
    await events.flush();
    expect(published[0]).toMatchObject({
      status: 'truncated',
      output: 'Paris',
      final_model: 'cut',
      request: { stream: true },
    });
  });

  it("settles a stream's result only once its event is recorded", async () => {
    let release!: () => void;
    const recorded = new Promise<void>((resolve) => (release = resolve));
    const published: InteractionEvent[] = [];
    const { service } = setup(async (e) => {
      await recorded;
      published.push(e.data as InteractionEvent);
      return { id: 'x' };
    });
    const interaction = service.begin(assignment(['streamed']), caller, { ...request, stream: true });
    const stream = service.stream(interaction);
    const seen: string[] = [];
    for await (const d of stream) if (d.type === 'delta') seen.push(d.text);
    expect(seen.join('')).toBe('Paris.');
    let settled = false;
    void stream.result.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    release();
    await stream.result;
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ status: 'ok', output: 'Paris.', request: { stream: true } });
  });

  it('fails the answer when its event cannot be recorded, and counts it', async () => {
    const { service, promRegistry } = setup(() => Promise.reject(new Error('bus closed')));
    const interaction = service.begin(assignment(['good']), caller, request);
    await expect(service.complete(interaction)).rejects.toThrow('bus closed');
    expect(
      await promRegistry.getSingleMetricAsString('flywheel_gateway_event_publish_failures_total'),
    ).toContain('flywheel_gateway_event_publish_failures_total 1');
  });

  it('answers a full spool with 503 unavailable and Retry-After', async () => {
    const { service } = setup(() => Promise.reject(new SpoolFullError('spool full')));
    const interaction = service.begin(assignment(['good']), caller, request);
    const err = (await service.complete(interaction).catch((e: unknown) => e)) as DomainError;
    expect(err).toBeInstanceOf(DomainError);
    expect(err.code).toBe('unavailable');
    expect(err.headers).toEqual({ 'retry-after': '5' });
  });

  it('still answers a failed chain with its GatewayError when its event cannot be recorded', async () => {
    const { service } = setup(() => Promise.reject(new Error('bus closed')));
    const interaction = service.begin(assignment(['bad']), caller, request);
    await expect(service.complete(interaction)).rejects.toBeInstanceOf(GatewayError);
  });

  it('cuts an event over the size bound and marks it truncated', async () => {
    const { promRegistry, clock } = setup();
    const metrics = new GatewayMetrics(promRegistry, { state: () => 'closed' }, []);
    const published: InteractionEvent[] = [];
    const events = new InteractionEvents(
      {
        publish: async (e) => {
          published.push(e.data as InteractionEvent);
          return { id: 'x' };
        },
      },
      metrics,
      clock,
      64 * 1024,
    );
    const big = 'x'.repeat(200_000);
    await events.record({
      interaction_id: '0b0e6f38-4a9c-4b53-8d43-5f7cbb0e1c3f',
      request: { messages: [{ role: 'user', content: big }], stream: false },
      output: big,
    } as InteractionEvent);
    expect(Buffer.byteLength(JSON.stringify(published[0]))).toBeLessThanOrEqual(64 * 1024);
    expect(published[0]!.truncated?.fields.map((f) => f.path).sort()).toEqual([
      'output',
      'request.messages.0.content',
    ]);
    expect(await promRegistry.getSingleMetricAsString('flywheel_gateway_events_truncated_total')).toContain(
      'flywheel_gateway_events_truncated_total 1',
    );
  });

  it('without the durable wait (bench only) answers before the bus settles, and only counts a failure', async () => {
    const { promRegistry, clock } = setup();
    const metrics = new GatewayMetrics(promRegistry, { state: () => 'closed' }, []);
    let fail: (err: Error) => void = () => undefined;
    const handed: string[] = [];
    const bus = {
      publish: (e: { id?: string }) => {
        handed.push(e.id!);
        return new Promise<{ id: string }>((_, reject) => (fail = reject));
      },
    };
    const events = new InteractionEvents(bus, metrics, clock, 64 * 1024, (e) => e, false);
    const id = '0b0e6f38-4a9c-4b53-8d43-5f7cbb0e1c3f';
    // resolves although the bus has not settled: the event was handed over, not made durable
    await events.record({
      interaction_id: id,
      request: { messages: [], stream: false },
      output: 'hi',
    } as unknown as InteractionEvent); // a partial event: only its id matters to the bus here
    expect(handed).toEqual([id]);
    fail(new Error('disk full'));
    await events.flush();
    expect(
      await promRegistry.getSingleMetricAsString('flywheel_gateway_event_publish_failures_total'),
    ).toContain('flywheel_gateway_event_publish_failures_total 1');
  });
});
