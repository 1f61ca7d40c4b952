import { Attempt, ValidationResult } from '@flywheel/contracts';
import { expectEventually } from '@flywheel/platform/testing';
import Ajv2020 from 'ajv/dist/2020';
import { createSimServer, type SimServer } from '../../upstream-sim/src';
import { type ChainResult, GatewayError } from '../src';
import { gapMs, KINDS, PRICE, simGateway } from './sim-gateway';

/**
 * The chain through the real `openai` and `@anthropic-ai/sdk` clients against the upstream
 * simulator, whose model names script each fault.
 */

const SIM_MODELS = [
  'sim-ok',
  'sim-500',
  'sim-429',
  'sim-429-5',
  'sim-timeout',
  'sim-blackhole',
  'sim-flaky-50',
  'sim-400',
  'sim-badjson',
  'sim-invalidjson',
  'sim-slow-60000',
  'sim-slow-50-500',
];

const messages = [{ role: 'user' as const, content: 'How was the movie?' }];

const review = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
  },
  required: ['sentiment', 'confidence', 'tags'],
};
const isReview = new Ajv2020().compile(review);

let sim: SimServer;

beforeAll(async () => {
  sim = await createSimServer();
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => sim.reset());

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

/** Every attempt and validation result fits the event contracts. */
function expectContractShapes(attempts: unknown[], validation: unknown): void {
  for (const a of attempts) expect(Attempt.safeParse(a).error).toBeUndefined();
  expect(ValidationResult.safeParse(validation).error).toBeUndefined();
}

const summary = (r: { attempts: { model: string; status: string; http_status?: number }[] }) =>
  r.attempts.map((a) => `${a.model}:${a.status}${a.http_status ? `:${a.http_status}` : ''}`);

async function waitUntilIdle(): Promise<void> {
  await expectEventually(() => {
    const { inFlight, pendingTimers } = sim.stats();
    expect({ inFlight, pendingTimers }).toEqual({ inFlight: 0, pendingTimers: 0 });
  });
}

describe.each(KINDS)('%s provider', (kind) => {
  const m = (name: string) => `${kind}:${name}`;
  let gateway: ReturnType<typeof simGateway>;

  beforeEach(() => {
    gateway = simGateway(sim.url, SIM_MODELS);
  });

  it('answers, with usage and cost from the configured price', async () => {
    const result = await gateway.complete(
      { chain: [m('sim-ok')], system: 'Be brief.', max_tokens: 200 },
      { messages },
    );
    expect(result.response.text).toMatch(/^This is a simulated answer from sim-ok to "How was the movie\?"/);
    expect(result.response.finish_reason).toBe('stop');
    const { input_tokens, output_tokens } = result.usage;
    expect(input_tokens).toBeGreaterThan(0);
    expect(output_tokens).toBe(Math.ceil(result.response.text.length / 4));
    expect(result.cost_usd).toBeCloseTo(
      (input_tokens * PRICE.input_per_mtok + output_tokens * PRICE.output_per_mtok) / 1e6,
      12,
    );
    expect(result.attempts).toEqual([
      expect.objectContaining({
        model: m('sim-ok'),
        provider: `sim-${kind}`,
        status: 'ok',
        try: 1,
        cost_usd: result.cost_usd,
      }),
    ]);
    expectContractShapes(result.attempts, result.validation);
  });

  it('retries a 500 up to 3 times, then falls back to the next model', async () => {
    const result = await gateway.complete({ chain: [m('sim-500'), m('sim-ok')] }, { messages });
    expect(summary(result)).toEqual([
      `${m('sim-500')}:error:500`,
      `${m('sim-500')}:error:500`,
      `${m('sim-500')}:error:500`,
      `${m('sim-ok')}:ok`,
    ]);
    expect(result.attempts.slice(0, 3).map((a) => a.try)).toEqual([1, 2, 3]);
    expect(result.final_model).toBe(m('sim-ok'));
    expect(sim.stats().byModel).toEqual({ 'sim-500': 3, 'sim-ok': 1 });
  });

  it('retries a failure on the same model when the retry succeeds (sim-flaky-50: fail, ok)', async () => {
    const result = await gateway.complete({ chain: [m('sim-flaky-50'), m('sim-ok')] }, { messages });
    expect(summary(result)).toEqual([`${m('sim-flaky-50')}:error:500`, `${m('sim-flaky-50')}:ok`]);
  });

  it('honours Retry-After: the retry comes after it, never later than the cap', async () => {
    const capped = simGateway(sim.url, SIM_MODELS, { chain: { maxAttemptsPerModel: 2 } });
    const result = await capped.complete({ chain: [m('sim-429'), m('sim-ok')] }, { messages });
    expect(summary(result)).toEqual([
      `${m('sim-429')}:error:429`,
      `${m('sim-429')}:error:429`,
      `${m('sim-ok')}:ok`,
    ]);
    expect(result.attempts[0]?.error_class).toBe('rate_limited');
    const [first, second] = result.attempts as [Attempt, Attempt];
    // sim-429 sends Retry-After: 1; a timer may fire a millisecond early by the wall clock
    expect(gapMs(first, second)).toBeGreaterThanOrEqual(995);
    expect(gapMs(first, second)).toBeLessThan(2_000); // retryAfterCapMs
  });

  it('does not wait out a Retry-After beyond the cap: next model at once', async () => {
    const result = await gateway.complete({ chain: [m('sim-429-5'), m('sim-ok')] }, { messages });
    expect(summary(result)).toEqual([`${m('sim-429-5')}:error:429`, `${m('sim-ok')}:ok`]);
    const [first, second] = result.attempts as [Attempt, Attempt];
    expect(gapMs(first, second)).toBeLessThan(500);
    expect(sim.stats().byModel['sim-429-5']).toBe(1);
  });

  it.each(['sim-timeout', 'sim-blackhole'])(
    'times out a hung upstream (%s) after timeout_ms, closes it, and falls back',
    async (hung) => {
      const result = await gateway.complete({ chain: [m(hung), m('sim-ok')], timeout_ms: 300 }, { messages });
      expect(result.attempts.map((a) => [a.status, a.error_class])).toEqual([
        ['timeout', 'timeout'],
        ['ok', undefined],
      ]);
      expect(result.attempts[0]?.latency_ms).toBeGreaterThanOrEqual(295);
      expect(result.attempts[0]?.latency_ms).toBeLessThan(2_000);
      await waitUntilIdle(); // the hung exchange was aborted, not left open
    },
  );

  it('does not retry a 400; every model refusing it is upstream_rejected', async () => {
    const err = await failure(gateway.complete({ chain: [m('sim-400'), m('sim-400')] }, { messages }));
    expect(err.code).toBe('upstream_rejected');
    expect(sim.stats().byModel['sim-400']).toBe(2);
  });

  it('aborting the caller signal cancels the upstream call', async () => {
    const controller = new AbortController();
    const pending = failure(
      gateway.complete(
        { chain: [m('sim-slow-60000'), m('sim-ok')] },
        { messages },
        { signal: controller.signal },
      ),
    );
    await expectEventually(() => expect(sim.stats().pendingTimers).toBe(1), { intervalMs: 10 });
    controller.abort();
    const err = await pending;
    expect(err.code).toBe('cancelled');
    expect(err.outcome.attempts.map((a) => a.error_class)).toEqual(['cancelled']);
    await waitUntilIdle(); // the simulator saw the client go: its answer timer was cancelled
    expect(sim.stats().byModel['sim-ok']).toBeUndefined();
  });

  describe('structured output', () => {
    const variant = (chain: string[], reask = 1) => ({
      chain: chain.map(m),
      output_schema: review,
      repair: { reask },
    });

    it('asks natively for the schema and returns a validated value', async () => {
      const result = await gateway.complete(variant(['sim-ok']), { messages });
      expect(isReview(result.response.json)).toBe(true);
      expect(JSON.parse(result.response.text)).toEqual(result.response.json);
      expect(result.validation).toEqual({ schema: true, valid: true, repaired: false, reasks: 0 });
      expectContractShapes(result.attempts, result.validation);
    });

    it('repairs almost-JSON (sim-badjson) without asking again', async () => {
      const result = await gateway.complete(variant(['sim-badjson']), { messages });
      expect(isReview(result.response.json)).toBe(true);
      expect(result.validation).toEqual({ schema: true, valid: true, repaired: true, reasks: 0 });
      expect(result.attempts).toEqual([expect.objectContaining({ status: 'ok', repaired: true })]);
      expect(sim.stats().byModel).toEqual({ 'sim-badjson': 1 });
    });

    it('re-asks a model whose JSON fails the schema, then moves to the next model', async () => {
      const result: ChainResult = await gateway.complete(variant(['sim-invalidjson', 'sim-ok'], 1), {
        messages,
      });
      expect(summary(result)).toEqual([
        `${m('sim-invalidjson')}:invalid_output`,
        `${m('sim-invalidjson')}:invalid_output`,
        `${m('sim-ok')}:ok`,
      ]);
      expect(result.attempts.map((a) => a.try)).toEqual([1, 2, 1]);
      expect(result.validation).toEqual({ schema: true, valid: true, repaired: false, reasks: 1 });
      expect(isReview(result.response.json)).toBe(true);
      expect(sim.stats().byModel).toEqual({ 'sim-invalidjson': 2, 'sim-ok': 1 });
    });

    it('fails with structured_output_invalid and the validation errors when the chain is exhausted', async () => {
      const err = await failure(gateway.complete(variant(['sim-invalidjson'], 2), { messages }));
      expect(err.code).toBe('structured_output_invalid');
      expect(err.details?.errors).toEqual([
        { path: '/', message: "must have required property 'sentiment'" },
      ]);
      expect(err.outcome.validation).toEqual({
        schema: true,
        valid: false,
        repaired: false,
        reasks: 2,
        errors: err.details?.errors,
      });
      expect(err.outcome.attempts.map((a) => a.status)).toEqual([
        'invalid_output',
        'invalid_output',
        'invalid_output',
      ]);
      expectContractShapes(err.outcome.attempts, err.outcome.validation);
    });
  });
});

describe('circuit breaker per model', () => {
  it('opens after K failures, then lets exactly one probe through when half-open', async () => {
    const gateway = simGateway(sim.url, SIM_MODELS, {
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 300 },
    });
    const broken = 'openai:sim-slow-50-500';
    const variant = { chain: [broken, 'openai:sim-ok'] };
    const upstreamCalls = () => sim.stats().byModel['sim-slow-50-500'] ?? 0;

    const first = await gateway.complete(variant, { messages });
    expect(first.attempts.map((a) => a.status)).toEqual(['error', 'error', 'error', 'ok']);
    expect(upstreamCalls()).toBe(3);

    const skipped = await gateway.complete(variant, { messages });
    expect(skipped.attempts.map((a) => a.status)).toEqual(['circuit_open', 'ok']);
    expect(upstreamCalls()).toBe(3);

    // concurrent batches until the breaker half-opens: that batch sends exactly one probe
    const batch = await expectEventually(
      async () => {
        const before = upstreamCalls();
        const results = await Promise.all([1, 2, 3, 4, 5].map(() => gateway.complete(variant, { messages })));
        expect(upstreamCalls()).toBeGreaterThan(before);
        return { before, results };
      },
      { timeoutMs: 5_000, intervalMs: 50 },
    );
    expect(upstreamCalls() - batch.before).toBe(1);
    const probes = batch.results.filter((r) => r.attempts[0]?.status === 'error');
    expect(probes).toHaveLength(1);
    // the probe failed, so the breaker re-opened: its retry and every other request skipped the model
    expect(probes[0]?.attempts.map((a) => a.status)).toEqual(['error', 'circuit_open', 'ok']);
    expect(batch.results.filter((r) => r.attempts[0]?.status === 'circuit_open')).toHaveLength(4);
    expect(batch.results.every((r) => r.final_model === 'openai:sim-ok')).toBe(true);
  });

  it('closes again when the half-open probe succeeds', async () => {
    // sim-flaky-50 fails its 1st, 3rd… call and answers its 2nd, 4th…
    const gateway = simGateway(sim.url, SIM_MODELS, {
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 200 },
    });
    const variant = { chain: ['anthropic:sim-flaky-50', 'anthropic:sim-ok'] };
    const first = await gateway.complete(variant, { messages });
    expect(first.attempts.map((a) => a.status)).toEqual(['error', 'circuit_open', 'ok']);
    const probed = await expectEventually(
      async () => {
        const r = await gateway.complete(variant, { messages });
        expect(r.attempts[0]?.status).not.toBe('circuit_open');
        return r;
      },
      { timeoutMs: 5_000 },
    );
    expect(probed.final_model).toBe('anthropic:sim-flaky-50');
    expect(probed.attempts.map((a) => a.status)).toEqual(['ok']);
    // closed: the next request calls the model again (its 3rd call fails) instead of skipping it
    const after = await gateway.complete(variant, { messages });
    expect(after.attempts[0]).toMatchObject({
      model: 'anthropic:sim-flaky-50',
      status: 'error',
      http_status: 500,
    });
  });
});
